package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tendhq/tend/internal/proc"
)

// cmdline is a process's command line, its words joined by spaces.
func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// TestIsolatedSharesNoFate: a daemon started --isolated has a supervisor
// process of its own, which the host's death and the host's stop do not
// touch; every command reaches it as it reaches the host's daemons.
func TestIsolatedSharesNoFate(t *testing.T) {
	e := newEnv(t)
	alone := e.mustStart("alone", "tick", "--isolated")
	shared := e.mustStart("shared", "sleep")
	a, _ := e.status("alone")
	s, _ := e.status("shared")
	host := s.SupervisorPID
	if a.SupervisorPID == 0 || a.SupervisorPID == host {
		t.Fatalf("isolated daemon's supervisor %d, the host %d: want a process of its own", a.SupervisorPID, host)
	}
	if c := cmdline(a.SupervisorPID); !strings.HasSuffix(c, "supervise alone") {
		t.Errorf("isolated daemon's supervisor runs %q; want tend supervise alone", c)
	}
	if c := cmdline(host); c != "tend __host" {
		t.Errorf("shared daemon's supervisor runs %q; want the host", c)
	}
	if parent, _ := proc.Parent(alone); parent != a.SupervisorPID {
		t.Errorf("isolated daemon's parent %d; want its supervisor %d", parent, a.SupervisorPID)
	}

	// The host dies: the isolated daemon and its supervisor never notice.
	syscall.Kill(host, syscall.SIGKILL)
	eventually(t, "a new host running shared", func() bool {
		s, _ = e.status("shared")
		return s.State == "running" && s.PID == shared && s.SupervisorPID != host && s.SupervisorPID > 0
	})
	if got, code := e.status("alone"); code != 0 || got.PID != alone || got.SupervisorPID != a.SupervisorPID {
		t.Errorf("isolated daemon after the host's death: %d %+v; want pid %d under supervisor %d", code, got, alone, a.SupervisorPID)
	}

	// Commands reach it through its own supervisor.
	if r := e.tend("signal", "alone", "CONT"); r.code != 0 || !strings.Contains(r.stdout, strconv.Itoa(alone)) {
		t.Errorf("signal alone: %v", r)
	}
	if r := e.tend("host", "stop"); r.code != 0 {
		t.Fatalf("host stop: %v", r)
	}
	if !alive(alone) || !alive(a.SupervisorPID) || alive(shared) {
		t.Errorf("after host stop: isolated daemon alive %v, its supervisor %v; shared alive %v (want true, true, false)",
			alive(alone), alive(a.SupervisorPID), alive(shared))
	}
	r := e.tend("restart", "alone")
	if r.code != 0 {
		t.Fatalf("restart alone: %v", r)
	}
	a2, _ := e.status("alone")
	if a2.PID == alone || a2.SupervisorPID != a.SupervisorPID || !alive(a2.PID) {
		t.Errorf("after restart: %+v; want a new pid under the same supervisor %d", a2, a.SupervisorPID)
	}
	e.mustStart("shared", "sleep")

	// stop --all stops both, the isolated one through its supervisor.
	r = e.tend("stop", "--all")
	if r.code != 0 || !strings.Contains(r.stdout, "stopped alone") || !strings.Contains(r.stdout, "stopped shared") {
		t.Errorf("stop --all: %v; want both stopped", r)
	}
	eventually(t, "the isolated supervisor's exit", func() bool { return !alive(a.SupervisorPID) && !alive(a2.PID) })
	if _, code := e.status("alone"); code != 3 {
		t.Errorf("status alone after stop --all: exit %d; want 3", code)
	}
}
