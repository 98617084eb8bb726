package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestReadyLog: --ready log:REGEX with real programs. python3's
// http.server is ready when it says it serves (tend start returns then,
// and the port answers); a script that prints its line after a delay is
// not reported started before it; one that exits before its line fails
// its start at once, naming the pattern, and leaves nothing running.
func TestReadyLog(t *testing.T) {
	python := need(t, "python3")
	e := newEnv(t)
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	r := e.tend("start", "web", "--ready", `log:^Serving HTTP on \S+ port \d+`, "--env", "PYTHONUNBUFFERED=1",
		"--", python, "-m", "http.server", "--bind", host, port)
	if r.code != 0 {
		t.Fatalf("start of http.server: %v", r)
	}
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Errorf("http.server was reported started before it listened: %v", err)
	} else {
		c.Close()
	}

	script := "import time, sys\nprint('booting', flush=True)\ntime.sleep(1)\nprint('listening on 8080', file=sys.stderr, flush=True)\ntime.sleep(600)"
	begin := time.Now()
	r = e.tend("start", "late", "--ready", `log:listening on \d+`, "--", python, "-c", script)
	if took := time.Since(begin); r.code != 0 || took < time.Second {
		t.Errorf("start of a script that prints its line after 1s: %v after %v", r, took)
	}
	if s, _ := e.status("late"); s.State != "running" {
		t.Errorf("late is %s", s.State)
	}

	script = "import time, sys\nprint('booting', flush=True)\ntime.sleep(0.3)\nsys.exit(3)"
	begin = time.Now()
	r = e.tend("start", "dies", "--ready", `log:listening on \d+`, "--", python, "-c", script)
	took := time.Since(begin)
	if r.code != 1 || !strings.Contains(r.stderr, `exited with status 3 before it was ready (no line of its output matched log:listening on \d+)`) {
		t.Errorf("start of a script that exits before its line: %v", r)
	}
	if took > 5*time.Second {
		t.Errorf("the failed start took %v: not at once", took)
	}
	s, _ := e.status("dies")
	if s.State != "failed" || s.Restarts != 0 || len(s.Processes) > 0 {
		t.Errorf("dies after its failed start: %+v", s)
	}

	r = e.tend("run", "--ready", `log:listening on \d+`, "--", python, "-c", script)
	if r.code != 3 && r.code != 1 || !strings.Contains(r.stderr, `before it was ready (no line of its output matched log:listening on \d+)`) ||
		!strings.Contains(r.stdout, "booting") {
		t.Errorf("tend run, its output passed through, of a script that exits before its line: %v", r)
	}

	r = e.tend("start", "nothing", "--ready", "log:never printed", "--ready-timeout", "1s", "--", python, "-c", "import time\ntime.sleep(600)")
	if r.code != 1 || !strings.Contains(r.stderr, "not ready within 1s (no line of its output matched log:never printed)") {
		t.Errorf("start of a program that never prints its line: %v", r)
	}
	if r := e.tend("start", "bad", "--ready", "log:(", "--", "true"); r.code != 2 || !strings.Contains(r.stderr, "regular expression") {
		t.Errorf("a pattern that does not compile: %v", r)
	}
}
