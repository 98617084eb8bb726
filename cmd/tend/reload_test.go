package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/httpload"
)

// helperHTTP is a LISTEN_FDS server: it serves HTTP on fd 3, says ready
// with a newline on fd 4, and on SIGTERM stops accepting and answers every
// connection it accepted before it exits, as a well-behaved server does.
// (http.Server.Shutdown alone would not: it drops a request that it reads
// after the shutdown began, from a connection it had accepted before.) It
// answers with its pid and TEND_INSTANCE. With FAIL set it exits 3 before
// it is ready.
func helperHTTP([]string) int {
	if os.Getenv("FAIL") != "" {
		return 3
	}
	fl, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln := &drainingListener{Listener: fl}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %s\n", os.Getpid(), os.Getenv("TEND_INSTANCE"))
	})}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		srv.SetKeepAlivesEnabled(false) // each connection ends after its answer
		fl.Close()                      // no new connection; Serve returns
	}()
	note("running %d", os.Getpid())
	os.NewFile(4, "ready").Write([]byte("\n"))
	srv.Serve(ln)
	ln.open.Wait() // every accepted connection answered and closed
	return 0
}

// drainingListener counts the connections it accepted until they close.
type drainingListener struct {
	net.Listener
	open sync.WaitGroup
}

func (l *drainingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countedConn{Conn: c, done: l.open.Done}, nil
}

// countedConn calls done once, when it is closed.
type countedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}

// TestReloadWithoutDowntime: 20 reloads under a stream of requests, with
// one instance and with three: no request fails. A new version that fails
// leaves the old one serving.
func TestReloadWithoutDowntime(t *testing.T) {
	for _, instances := range []string{"1", "3"} {
		t.Run("instances="+instances, func(t *testing.T) {
			e := newEnv(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			envFile := e.home + "/web.env"
			os.WriteFile(envFile, []byte("VERSION=1\n"), 0o600)
			r := e.start("web", "http", "--listen", fmt.Sprintf("tcp://127.0.0.1:%d", port), "--ready", "fd:4",
				"--instances", instances, "--env-file", envFile)
			if r.code != 0 {
				t.Fatalf("start: %v", r)
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var load httpload.Result
			wg.Go(func() { load = httpload.Run(port, 5*time.Second, stop) })
			for i := range 20 {
				if r := e.tend("reload", "web"); r.code != 0 {
					close(stop)
					wg.Wait()
					t.Fatalf("reload %d: %v", i+1, r)
				}
			}
			// A broken new version: the reload fails, the old one serves.
			os.WriteFile(envFile, []byte("FAIL=1\n"), 0o600)
			if r := e.tend("reload", "web"); r.code != 1 || !strings.Contains(r.stderr, "serves on") {
				t.Errorf("reload of a failing version: %v", r)
			}
			close(stop)
			wg.Wait()
			t.Logf("figures: %d requests during 20 reloads with %s instances: %d failed, worst %v", load.Requests, instances, load.Failed, load.Worst)
			if load.Failed > 0 || load.Requests-load.Failed < 20 {
				t.Errorf("%d of %d requests failed (first: %v)", load.Failed, load.Requests, load.FirstErr)
			}
			if s, code := e.status("web"); code != 0 || s.State != "running" {
				t.Errorf("after the failed reload: %d %+v", code, s)
			}
			if r := e.tend("stop", "web"); r.code != 0 {
				t.Errorf("stop: %v", r)
			}
		})
	}
}

// TestUpReloads: tend up reloads a daemon that serves sockets when only its
// command or environment changed, and restarts it when more did (or with
// --no-reload).
func TestUpReloads(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	toml := func(version, readyTimeout string) {
		writeFile(t, dir+"/tend.toml", fmt.Sprintf(`[web]
command = [%q]
env = ["%s=http", "TEST_NOTE=%s", "VERSION=%s"]
listen = ["tcp://127.0.0.1:%d"]
ready = "fd:4"
ready_timeout = %q
`, testBin, helperEnv, e.note, version, port, readyTimeout))
	}
	toml("1", "30s")
	if r := e.upIn(dir, "up"); r.code != 0 || !strings.Contains(r.stdout, "web: started") {
		t.Fatalf("up: %v", r)
	}
	toml("2", "30s")
	if r := e.upIn(dir, "up"); r.code != 0 || !strings.Contains(r.stdout, "web: reloaded") || !strings.Contains(r.stdout, "changed: env") {
		t.Errorf("up after a changed environment: %v", r)
	}
	toml("2", "20s")
	if r := e.upIn(dir, "up"); r.code != 0 || !strings.Contains(r.stdout, "web: restarted") {
		t.Errorf("up after a changed ready timeout: %v", r)
	}
	toml("3", "20s")
	if r := e.upIn(dir, "up", "--no-reload"); r.code != 0 || !strings.Contains(r.stdout, "web: restarted") {
		t.Errorf("up --no-reload: %v", r)
	}
}

// TestScale: instances added and removed at run time, each told its
// number, shown by status.
func TestScale(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if r := e.start("web", "http", "--listen", fmt.Sprintf("tcp://127.0.0.1:%d", port), "--ready", "fd:4"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	if r := e.tend("scale", "web", "3"); r.code != 0 || r.stdout != "scaled web to 3 instances\n" {
		t.Fatalf("scale 3: %v", r)
	}
	r := e.tend("status", "web")
	for _, want := range []string{"instance 0: running", "instance 1: running", "instance 2: running"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.tend("list")
	for i := range 3 {
		if !regexp.MustCompile(`(?m)^ #` + strconv.Itoa(i) + `\s+running\s+\d+\s`).MatchString(r.stdout) {
			t.Errorf("list lacks a line for instance %d:\n%s", i, r.stdout)
		}
	}
	// Every instance answers, each with its number. Which one accepts is
	// the kernel's choice, and a busy machine may leave one unscheduled
	// for a while: ask until all three answered, for at most 20 s.
	seen := map[string]bool{}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && len(seen) < 3; {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if f := strings.Fields(string(b)); len(f) == 2 {
			seen[f[1]] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("instances that answered: %v", seen)
	}
	if r := e.tend("scale", "web", "1"); r.code != 0 || r.stdout != "scaled web to 1 instance\n" {
		t.Fatalf("scale 1: %v", r)
	}
	if r := e.tend("status", "web"); strings.Contains(r.stdout, "instance 1") {
		t.Errorf("after scaling down:\n%s", r.stdout)
	}
	if r := e.tend("scale", "web", "0"); r.code != 2 {
		t.Errorf("scale 0: %v", r)
	}
}
