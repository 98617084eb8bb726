package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// helperHog holds 64 MiB of memory it has written to, then sleeps.
func helperHog([]string) int {
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	note("running %d", os.Getpid())
	time.Sleep(time.Hour)
	return int(b[len(b)-1]) // keep b alive
}

// TestLimits: --limit sets the command's rlimits before it runs (read back
// from /proc/PID/limits), and --memory-max restarts a daemon that holds
// more, saying so in its status.
func TestLimits(t *testing.T) {
	e := newEnv(t)
	// sleep(1), not a Go helper: Go raises its own soft nofile limit.
	r := e.tend("start", "capped", "--limit", "nofile=777:888,core=0", "--", "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	s0, _ := e.status("capped")
	pid := s0.PID
	// The same process, once the exec helper has set the limits and
	// executed the command.
	var nofile, core string
	eventually(t, "the command's limits", func() bool {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); string(b) != "sleep\n" {
			return false
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
		for _, line := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(line, "Max open files"):
				nofile = strings.Join(strings.Fields(line)[3:5], " ")
			case strings.HasPrefix(line, "Max core file size"):
				core = strings.Join(strings.Fields(line)[4:6], " ")
			}
		}
		return nofile == "777 888" && core == "0 0"
	})
	if t.Failed() {
		t.Fatalf("the command's limits: nofile %q, core %q", nofile, core)
	}
	if r := e.tend("status", "capped"); !strings.Contains(r.stdout, "limits:") || !strings.Contains(r.stdout, "nofile=777:888,core=0") {
		t.Errorf("status: %v", r)
	}
	if r := e.start("bad", "sleep", "--limit", "nofiles=1"); r.code != 2 || !strings.Contains(r.stderr, "nofile") {
		t.Errorf("--limit with an unknown name: %v", r)
	}

	// --ready exec: the hog grows at once, and is restarted for it within
	// a second, which the default readiness would call a crash at start.
	e.mustStart("hog", "hog", "--memory-max", "32M", "--ready", "exec")
	var s statusOut
	eventually(t, "the hog restarted for its memory", func() bool {
		s, _ = e.status("hog")
		return s.Restarts >= 1
	})
	r = e.tend("status", "hog")
	if !strings.Contains(r.stdout, "over --memory-max 32M") {
		t.Errorf("status after the memory limit was hit:\n%s", r.stdout)
	}
}

// TestLimitNotes: without a cgroup, status says that tend enforces
// --memory-max itself, by polling, and that --cpu-max is not enforced
// (issue 24, item 15).
func TestLimitNotes(t *testing.T) {
	e := newEnv(t)
	r := e.tendIn("", []string{"TEND_CGROUP=off"}, "start", "capped", "--memory-max", "100M", "--cpu-max", "50%", "--", "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	r = e.tend("status", "capped")
	for _, want := range []string{
		"memory-max=100M cpu-max=50%\n",
		"  memory-max enforced by tend, which checks every 1s (the daemon has no cgroup)\n",
		"  cpu-max not enforced (the daemon has no cgroup)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status does not say %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "memory-max not enforced") || strings.Contains(r.stdout, "memory.max not set") {
		t.Errorf("status says --memory-max is not enforced:\n%s", r.stdout)
	}
}
