package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, s := range []string{"tcp:127.0.0.1:80", "tcp:[::1]:80", "unix:/run/x.sock", "http://127.0.0.1:8080/health", "file:/tmp/x", "exec:true"} {
		p, err := Parse(s)
		if err != nil || p.String() != s {
			t.Errorf("Parse(%q) = %+v, %v", s, p, err)
		}
	}
	for _, s := range []string{"", "tcp:", "tcp:host", "unix:rel", "file:rel", "ftp:x", "http://", "nonsense"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func check(t *testing.T, s string) error {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = p.Check(ctx)
	return err
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := check(t, "tcp:"+addr); err != nil {
		t.Errorf("tcp to a listener: %v", err)
	}
	ln.Close()
	if err := check(t, "tcp:"+addr); err == nil {
		t.Errorf("tcp to a closed port succeeded")
	}
	sock := filepath.Join(dir, "s.sock")
	uln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(t, "unix:"+sock); err != nil {
		t.Errorf("unix: %v", err)
	}
	uln.Close()
	if err := check(t, "unix:"+sock); err == nil {
		t.Errorf("unix to a closed socket succeeded")
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := check(t, srv.URL+"/ok"); err != nil {
		t.Errorf("http 200: %v", err)
	}
	if err := check(t, srv.URL+"/bad"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("http 503: %v", err)
	}

	f := filepath.Join(dir, "f")
	if err := check(t, "file:"+f); err == nil {
		t.Errorf("missing file succeeded")
	}
	os.WriteFile(f, nil, 0o600)
	if err := check(t, "file:"+f); err != nil {
		t.Errorf("file: %v", err)
	}
	if err := check(t, "exec:exit 0"); err != nil {
		t.Errorf("exec true: %v", err)
	}
	if err := check(t, "exec:echo broken; exit 3"); err == nil || !strings.Contains(err.Error(), "status 3: broken") {
		t.Errorf("exec exit 3: %v", err)
	}
	p, _ := Parse("exec:sleep 60")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := p.Check(ctx); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("exec timeout: %v after %v", err, time.Since(start))
	}
}

func TestPollBacksOff(t *testing.T) {
	var times []time.Time
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Poll(ctx, time.Second, func(context.Context) error {
		times = append(times, time.Now())
		if len(times) < 6 {
			return os.ErrNotExist
		}
		return nil
	})
	if err != nil || len(times) != 6 {
		t.Fatalf("Poll: %v after %d attempts", err, len(times))
	}
	// 5+10+20+40+80 ms at least between the first and the last.
	if d := times[5].Sub(times[0]); d < 155*time.Millisecond {
		t.Errorf("6 attempts within %v: no backoff", d)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	if err := Poll(ctx2, time.Second, func(context.Context) error { return os.ErrNotExist }); err != os.ErrNotExist {
		t.Errorf("Poll until timeout: %v, want the last error", err)
	}
}
