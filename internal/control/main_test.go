package control

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// TestMain lets the test binary act as a helper process, chosen by
// TEND_TEST_HELPER, so tests can run a client or a server under another
// uid.
func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{"call": helperCall, "serve": helperServe})
	os.Exit(m.Run())
}

// helperCall: call SOCKET: print the Response as JSON.
func helperCall(args []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := Call(ctx, args[0], Request{Op: "ping"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(resp)
	return 0
}

// helperServe: serve SOCKET: print "ready", serve until stdin closes.
func helperServe(args []string) int {
	s, err := Listen(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go s.Serve(context.Background(), func(context.Context, Request) Response { return Response{OK: true} })
	fmt.Println("ready")
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	s.Close()
	return 0
}
