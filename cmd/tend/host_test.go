package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDaemonStdioBlocking: the keeper forks the daemons with descriptors
// the host made in Go, which keeps them non-blocking for its poller; the
// daemon must get them blocking, as any program expects its stdout (one
// that writes faster than the log takes would fail with EAGAIN).
func TestDaemonStdioBlocking(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("io", "sleep")
	for fd := 0; fd <= 2; fd++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, _ := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				if flags&unix.O_NONBLOCK != 0 {
					t.Errorf("the daemon's descriptor %d is non-blocking (flags %o)", fd, flags)
				}
			}
		}
	}
}

// pyServer serves "v1 PID" on the socket it is given (LISTEN_FDS, fd 3).
const pyServer = `import os, socket
s = socket.socket(fileno=3)
print("serving", os.getpid(), flush=True)
while True:
    c, _ = s.accept()
    c.sendall(("HTTP/1.0 200 OK\r\n\r\nv1 %d\n" % os.getpid()).encode())
    c.close()
`

// pyBroken is a new version that fails after a moment of setup, as a
// server with a bad configuration does.
const pyBroken = `import sys, time
time.sleep(0.3)
print("config error: cannot read settings", file=sys.stderr)
sys.exit(3)
`

// httpGet asks addr over HTTP and returns the body ("" on failure).
func httpGet(addr string) string {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// TestUpBrokenVersionKeepsOld (issue 20, point 3): tend up of a file whose
// daemon's command was changed to one that fails after 0.3 s, with
// --listen (a reload) and without (a restart): tend up exits 1 with the
// reason and the last lines of the log, the old version serves on (or
// runs again), the stored definition is the old one, and the next tend up
// tries again rather than saying unchanged.
func TestUpBrokenVersionKeepsOld(t *testing.T) {
	python := need(t, "python3")
	for _, listen := range []bool{true, false} {
		t.Run(map[bool]string{true: "reload", false: "restart"}[listen], func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "server.py"), pyServer)
			writeFile(t, filepath.Join(dir, "broken.py"), pyBroken)
			addr := freeAddr(t)
			file := filepath.Join(dir, "tend.toml")
			toml := func(script string) string {
				s := fmt.Sprintf("[app]\ncommand = [%q, \"-u\", %q]\n", python, script)
				if listen {
					s += fmt.Sprintf("listen = [\"tcp://%s\"]\n", addr)
				} else {
					s += fmt.Sprintf("env = { PORT = %q }\n", addr) // the old version just runs
				}
				return s
			}
			writeFile(t, file, toml("server.py"))
			if !listen {
				// Without --listen the server binds by itself.
				writeFile(t, filepath.Join(dir, "server.py"), strings.Replace(pyServer, "socket.socket(fileno=3)",
					"socket.create_server((os.environ['PORT'].rsplit(':', 1)[0], int(os.environ['PORT'].rsplit(':', 1)[1])))", 1))
			}
			if r := e.tendIn(dir, nil, "up"); r.code != 0 {
				t.Fatalf("up: %v", r)
			}
			var before string
			eventually(t, "the first version serving", func() bool { before = httpGet(addr); return strings.HasPrefix(before, "v1 ") })
			writeFile(t, file, toml("broken.py"))
			for round := range 2 {
				r := e.tendIn(dir, nil, "up")
				if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "exited with status 3") ||
					!strings.Contains(r.stderr, "config error: cannot read settings") || strings.Contains(r.stdout, "unchanged") {
					t.Errorf("up #%d of the broken version: %v; want exit 1 naming how it failed, with its last lines", round+1, r)
				}
				var now string
				eventually(t, "the old version serving", func() bool { now = httpGet(addr); return strings.HasPrefix(now, "v1 ") })
				if listen && now != before {
					t.Errorf("after a failed reload, %q serves, where %q did: the old one was replaced", now, before)
				}
				b, _ := os.ReadFile(filepath.Join(e.home, filepath.Base(dir)+".app", "definition.json"))
				if strings.Contains(string(b), "broken.py") {
					t.Errorf("the stored definition is the broken version's")
				}
			}
		})
	}
}

// TestReloadBrokenScript (issue 24, item 1): tend reload of a --listen
// daemon whose script was replaced by one that fails after 0.3 s: the
// reload waits for the new incarnation to have run a while and settled,
// fails with exit 1, and the old one serves on.
func TestReloadBrokenScript(t *testing.T) {
	python := need(t, "python3")
	e := newEnv(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "app.py")
	writeFile(t, script, pyServer)
	addr := freeAddr(t)
	e.mustStartCmd("app", "--listen", "tcp://"+addr, "--", python, "-u", script)
	var before string
	eventually(t, "serving", func() bool { before = httpGet(addr); return strings.HasPrefix(before, "v1 ") })
	writeFile(t, script, pyBroken)
	r := e.tend("reload", "app")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "exited with status 3") {
		t.Errorf("reload to a broken script: %v; want exit 1 naming how it failed", r)
	}
	var now string
	eventually(t, "an answer after the failed reload", func() bool { now = httpGet(addr); return now != "" })
	if now != before {
		t.Errorf("after the failed reload %q serves, where %q did", now, before)
	}
}

// mustStartCmd starts name with the arguments of tend start after it, and
// returns the daemon's pid.
func (e *env) mustStartCmd(name string, args ...string) int {
	e.t.Helper()
	r := e.tend(append([]string{"start", name}, args...)...)
	var pid int
	if _, err := fmt.Sscanf(r.stdout, "started "+name+" (pid %d", &pid); r.code != 0 || err != nil {
		e.t.Fatalf("start %s: %v", name, r)
	}
	return pid
}
