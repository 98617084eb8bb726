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
)

// TestMain lets the test binary act as a helper process, chosen by
// TEND_TEST_HELPER, so tests can run a client or a server under another
// uid.
func TestMain(m *testing.M) {
	switch os.Getenv("TEND_TEST_HELPER") {
	case "":
		os.Exit(m.Run())
	case "call": // call SOCKET: print the Response as JSON
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := Call(ctx, os.Args[1], Request{Op: "ping"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(resp)
	case "serve": // serve SOCKET: print "ready", serve until stdin closes
		s, err := Listen(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go s.Serve(context.Background(), func(context.Context, Request) Response { return Response{OK: true} })
		fmt.Println("ready")
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		s.Close()
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv("TEND_TEST_HELPER"))
		os.Exit(2)
	}
	os.Exit(0)
}
