package control

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// echo answers with the request itself as Data.
func echo(_ context.Context, req Request) Response {
	data, _ := json.Marshal(req)
	return Response{OK: true, Data: data}
}

// serve starts a server on a fresh socket and stops it when the test ends.
// Log lines arrive on the returned channel.
func serve(t *testing.T, h Handler, timeout time.Duration) (*Server, <-chan string) {
	t.Helper()
	s, err := Listen(filepath.Join(t.TempDir(), "control.sock"))
	if err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 100)
	s.Logf = func(format string, args ...any) {
		select {
		case logs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	s.Timeout = timeout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if _, err := os.Lstat(s.Path()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket left behind after Serve returned: %v", err)
		}
	})
	return s, logs
}

func call(t *testing.T, path string, req Request) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := Call(ctx, path, req)
	if err != nil {
		t.Fatalf("Call(%+v): %v", req, err)
	}
	return resp
}

func TestRoundTrip(t *testing.T) {
	s, _ := serve(t, echo, 0)
	if fi, err := os.Lstat(s.Path()); err != nil || fi.Mode() != fs.ModeSocket|0o600 {
		t.Fatalf("socket mode = %v, %v; want Srw-------", fi.Mode(), err)
	}
	req := Request{Op: "signal", Signal: "HUP", Group: true, Args: map[string]string{"k": "v"}}
	resp := call(t, s.Path(), req)
	var got Request
	if !resp.OK || json.Unmarshal(resp.Data, &got) != nil || got.Deadline.IsZero() {
		t.Fatalf("response %+v (data %s); want OK echoing %+v with the call's deadline", resp, resp.Data, req)
	}
	got.Deadline = time.Time{}
	if !reflect.DeepEqual(got, req) {
		t.Fatalf("echoed %+v, want %+v", got, req)
	}
}

// TestExpiredRequestRefused: a request read after its client's deadline
// (the server was stopped meanwhile, say) is answered, not carried out.
func TestExpiredRequestRefused(t *testing.T) {
	ran := false
	s, _ := serve(t, func(ctx context.Context, req Request) Response { ran = true; return Response{OK: true} }, 0)
	c, err := net.Dial("unix", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg, _ := encode(Request{Op: "signal", Deadline: time.Now().Add(-time.Second)})
	c.Write(msg)
	var resp Response
	if err := decode(c, &resp); err != nil || resp.OK || resp.Code != CodeExpired || ran {
		t.Fatalf("response %+v, %v; handler ran: %v", resp, err, ran)
	}
}

func TestConcurrentCalls(t *testing.T) {
	s, _ := serve(t, echo, 0)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for j := range 5 {
				id := fmt.Sprint(i, "/", j)
				resp, err := Call(context.Background(), s.Path(), Request{Op: "id", Args: map[string]string{"id": id}})
				var got Request
				if err != nil || json.Unmarshal(resp.Data, &got) != nil || got.Args["id"] != id {
					t.Errorf("call %s: %+v, %v", id, resp, err)
				}
			}
		})
	}
	wg.Wait()
}

func frame(n uint32, body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, n)
	return append(b, body...)
}

// raw sends data on a fresh connection, half-closes it and returns the
// server's answer.
func raw(t *testing.T, path string, data []byte, halfClose bool) (Response, error) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	if halfClose {
		c.(*net.UnixConn).CloseWrite()
	}
	var resp Response
	err = decode(c, &resp)
	return resp, err
}

func TestBadFramesRejected(t *testing.T) {
	s, logs := serve(t, echo, 0)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"oversized", frame(MaxMessage+1, "{}"), "exceeds the 65536-byte limit"},
		{"huge", frame(0xffffffff, ""), "exceeds"},
		{"empty", frame(0, ""), "empty message"},
		{"short header", []byte{0, 0}, "after 2 of 4 header bytes"},
		{"truncated", frame(100, `{"Op":"x"`), "truncated message: got 9 of 100 bytes"},
		{"garbage", frame(5, "\xff\x00abc"), "malformed message"},
		{"trailing", frame(13, `{"Op":"a"} {}`), "malformed message"},
		{"wrong type", frame(8, `{"Op":1}`), "malformed message"},
		{"no op", frame(2, `{}`), "request has no Op"},
	}
	for _, tt := range tests {
		resp, err := raw(t, s.Path(), tt.data, true)
		if err != nil || resp.OK || !strings.Contains(resp.Error, tt.want) {
			t.Errorf("%s: got %+v, %v; want an error response saying %q", tt.name, resp, err, tt.want)
		}
	}
	if resp := call(t, s.Path(), Request{Op: "still-alive"}); !resp.OK {
		t.Errorf("server broken after bad frames: %+v", resp)
	}
	select {
	case line := <-logs:
		if !strings.Contains(line, "control: read request on ") {
			t.Errorf("log line %q", line)
		}
	default:
		t.Error("bad frames were not logged")
	}
}

func TestSilentClientTimesOut(t *testing.T) {
	s, _ := serve(t, echo, 50*time.Millisecond)
	resp, err := raw(t, s.Path(), nil, false)
	if err != nil || !strings.Contains(resp.Error, "i/o timeout") {
		t.Errorf("silent client got %+v, %v; want a timeout error response", resp, err)
	}
	if resp := call(t, s.Path(), Request{Op: "ping"}); !resp.OK {
		t.Errorf("server broken after a silent client: %+v", resp)
	}
}

func TestHandlerBadData(t *testing.T) {
	s, _ := serve(t, func(context.Context, Request) Response {
		return Response{OK: true, Data: json.RawMessage("{not json")}
	}, 0)
	resp := call(t, s.Path(), Request{Op: "x"})
	if resp.OK || !strings.Contains(resp.Error, "could not encode its response") {
		t.Errorf("got %+v; want an encoding error response", resp)
	}
}

func TestCallContext(t *testing.T) {
	release := make(chan struct{})
	s, _ := serve(t, func(ctx context.Context, req Request) Response {
		<-release
		return Response{OK: true}
	}, 0)
	defer close(release) // before serve's cleanup waits for the handler
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Call(ctx, s.Path(), Request{Op: "slow"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call past its deadline = %v; want DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := Call(ctx, s.Path(), Request{Op: "slow"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Call = %v; want Canceled", err)
	}
}

func TestCallNoServer(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.sock")
	if _, err := Call(context.Background(), missing, Request{Op: "x"}); !errors.Is(err, ErrNoServer) {
		t.Errorf("Call(missing) = %v; want ErrNoServer", err)
	}
	stale := staleSocket(t, dir)
	_, err := Call(context.Background(), stale, Request{Op: "x"})
	if !errors.Is(err, ErrNoServer) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Call(stale) = %v; want ErrNoServer", err)
	}
	big := Request{Op: "x", Args: map[string]string{"a": strings.Repeat("x", MaxMessage)}}
	if _, err := Call(context.Background(), stale, big); !errors.Is(err, ErrProtocol) {
		t.Errorf("Call(oversized) = %v; want ErrProtocol before dialing", err)
	}
}

// staleSocket leaves a socket file nobody listens on, as a crashed server would.
func staleSocket(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	return path
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := staleSocket(t, t.TempDir())
	s, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	go s.Serve(context.Background(), echo)
	defer s.Close()
	if resp := call(t, path, Request{Op: "ping"}); !resp.OK {
		t.Errorf("response %+v", resp)
	}
}

func TestListenInUse(t *testing.T) {
	s, _ := serve(t, echo, 0)
	if _, err := Listen(s.Path()); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Listen = %v; want ErrInUse", err)
	}
	if resp := call(t, s.Path(), Request{Op: "ping"}); !resp.OK {
		t.Errorf("first server broken by the second Listen: %+v", resp)
	}
}

func TestListenRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	if err := os.WriteFile(path, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a file = %v; want a not-a-socket error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Error("Listen removed a regular file")
	}
	long := filepath.Join(t.TempDir(), strings.Repeat("x", 120))
	if _, err := Listen(long); err == nil || !strings.Contains(err.Error(), "system limit") {
		t.Errorf("Listen(long path) = %v", err)
	}
}

func TestCloseLeavesReplacedFile(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "control.sock"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(s.Path())
	if err := os.WriteFile(s.Path(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Lstat(s.Path()); err != nil {
		t.Errorf("Close removed a file it did not create: %v", err)
	}
	if err := s.Serve(context.Background(), echo); err != nil {
		t.Errorf("Serve after Close = %v; want nil", err)
	}
}

func TestTrusted(t *testing.T) {
	for _, tt := range []struct {
		uid, euid int
		want      bool
	}{{1000, 1000, true}, {0, 1000, true}, {0, 0, true}, {1001, 1000, false}, {1000, 0, false}} {
		if got := trusted(tt.uid, tt.euid); got != tt.want {
			t.Errorf("trusted(%d, %d) = %v", tt.uid, tt.euid, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	ok, _ := encode(Request{Op: "stop", Signal: "TERM", Group: true, Args: map[string]string{"a": "b"}})
	f.Add(ok)
	f.Add(frame(0, ""))
	f.Add(frame(3, "{}"))
	f.Add(frame(MaxMessage+1, ""))
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var req Request
		err := decode(r, &req)
		if consumed := len(data) - r.Len(); consumed > 4+MaxMessage {
			t.Fatalf("decode consumed %d bytes", consumed)
		}
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("decode error %v does not wrap ErrProtocol", err)
			}
			return
		}
		again, err := encode(req)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", req, err)
		}
		var back Request
		if err := decode(bytes.NewReader(again), &back); err != nil || !reflect.DeepEqual(req, back) {
			t.Fatalf("round trip of %+v gave %+v, %v", req, back, err)
		}
	})
}
