package control

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRequestOfGoneClientNotCarriedOut: a request whose client gave up
// while it waited in the backlog (as with a stopped supervisor) is not
// carried out; a waiting client's is.
func TestRequestOfGoneClientNotCarriedOut(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "control.sock"))
	if err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 10)
	s.Logf = func(format string, args ...any) { logs <- format }
	// Before Serve: the connection waits in the backlog; its client
	// sends a restart and leaves.
	c, err := net.Dial("unix", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := encode(Request{Op: "restart"})
	c.Write(msg)
	c.Close()

	var ran atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, func(_ context.Context, req Request) Response { ran.Add(1); return Response{OK: true} })
	}()
	defer func() { cancel(); <-done }()
	select {
	case l := <-logs:
		if !strings.Contains(l, "left before it was read") {
			t.Errorf("log %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned request was not noticed")
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("the abandoned request was carried out")
	}
	// A client that waits is answered.
	c2, err := net.Dial("unix", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	c2.Write(msg)
	var resp Response
	if err := decode(c2, &resp); err != nil || !resp.OK || ran.Load() != 1 {
		t.Errorf("waiting client: %+v, %v, handler ran %d times", resp, err, ran.Load())
	}
}
