package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExtendTimeoutStart: a daemon that asks for more time with
// EXTEND_TIMEOUT_USEC= while it starts is started, well past
// --ready-timeout, as under systemd; one that does not ask is stopped at
// it.
func TestExtendTimeoutStart(t *testing.T) {
	e := newEnv(t)
	begin := time.Now()
	e.mustStart("slow", "ready", "--ready", "notify", "--ready-timeout", "1s", "--env", "TEST_HOW=extend", "--env", "TEST_DELAY=3s")
	if took := time.Since(begin); took < 3*time.Second {
		t.Errorf("started after %v, before it said READY=1", took)
	}
	if s, _ := e.status("slow"); s.State != "running" || s.Restarts != 0 {
		t.Errorf("status %+v", s)
	}
	r := e.start("mute", "ready", "--ready", "notify", "--ready-timeout", "1s", "--env", "TEST_HOW=notify", "--env", "TEST_DELAY=3s")
	if r.code == 0 || !strings.Contains(r.stderr, "not ready within 1s") {
		t.Errorf("a daemon that asked for nothing: %v", r)
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "slow", "events.log"))
	if strings.Contains(string(b), "not ready") {
		t.Errorf("events.log of the daemon that asked for time:\n%s", b)
	}
}
