package control

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCall measures one control round trip, as every tend status,
// stop, signal or logs --rotate pays it: connect to the unix socket, check
// the peer's credentials, send the request, read the response, close. The
// handler answers at once with a small status-like payload, so the figure
// is the protocol's own cost.
func BenchmarkCall(b *testing.B) {
	path := filepath.Join(b.TempDir(), "control.sock")
	s, err := Listen(path)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"Name": "web", "State": "running", "PID": 4242, "Restarts": 0})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(ctx, func(context.Context, Request) Response { return Response{OK: true, Data: data} })
	}()
	defer func() {
		cancel()
		s.Close()
		<-served
	}()
	callCtx, callCancel := context.WithTimeout(context.Background(), time.Minute)
	defer callCancel()
	for b.Loop() {
		resp, err := Call(callCtx, path, Request{Op: "status"})
		if err != nil || !resp.OK {
			b.Fatalf("Call: %v %+v", err, resp)
		}
	}
}
