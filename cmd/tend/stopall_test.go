package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
)

// TestStopRestartAll: stop --all says only what it stopped; restart
// --all (or all) restarts the daemons that run and starts the others, as
// pm2 restart all does (issue 24, item 12).
func TestStopRestartAll(t *testing.T) {
	e := newEnv(t)
	e.mustStart("a", "sleep")
	e.mustStart("b", "sleep")
	if r := e.tend("stop", "b"); r.code != 0 {
		t.Fatalf("stop b: %v", r)
	}
	if r := e.tend("stop", "--all"); r.code != 0 || r.stdout != "stopped a: killed by signal TERM\n" || r.stderr != "" {
		t.Errorf("stop --all, with b stopped: %v", r)
	}
	if r := e.tend("stop", "all"); r.code != 0 || r.stdout != "no daemon is running: nothing to stop\n" {
		t.Errorf("stop all, with none running: %v", r)
	}
	if r := e.tend("stop", "b"); r.code != 0 || r.stdout != "b is not running\n" {
		t.Errorf("stop b, named: %v", r)
	}

	pid := e.mustStart("a", "sleep")
	for _, args := range [][]string{{"restart", "--all"}, {"restart", "all"}, {"restart", "-a"}} {
		r := e.tend(args...)
		m := regexp.MustCompile(`(?m)^restarted a \(pid (\d+)\)$`).FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil || !regexp.MustCompile(`(?m)^(started|restarted) b \(pid \d+\)$`).MatchString(r.stdout) {
			t.Fatalf("tend %s: %v", strings.Join(args, " "), r)
		}
		if alive(pid) {
			t.Errorf("tend %s: a's old pid %d still runs", strings.Join(args, " "), pid)
		}
		pid, _ = strconv.Atoi(m[1])
		for _, name := range []string{"a", "b"} {
			if s, _ := e.status(name); s.State != "running" {
				t.Errorf("after tend %s, %s is %s", strings.Join(args, " "), name, s.State)
			}
		}
	}
	if r := e.tend("restart", "a", "--all"); r.code != 2 || !strings.Contains(r.stderr, "give names or --all, not both") {
		t.Errorf("restart a --all: %v", r)
	}
}

// TestStopSaysWhatItWaitsFor: a stop that waits more than a second says
// on stderr what for, and what comes next (issue 24, item 15).
func TestStopSaysWhatItWaitsFor(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("stubborn", "ignore-term", "--stop-schedule", "TERM/3/KILL/2")
	r := e.tend("stop", "stubborn")
	want := "waiting for stubborn (pid " + strconv.Itoa(pid) + ") to exit after TERM; KILL in 2s\n"
	if r.code != 0 || r.stdout != "stopped stubborn: killed by signal KILL\n" || r.stderr != want {
		t.Errorf("stop: %v; want stderr %q", r, want)
	}
	e.mustStart("quick", "sleep")
	if r := e.tend("stop", "quick"); r.code != 0 || r.stderr != "" {
		t.Errorf("a quick stop: %v", r)
	}
}

func TestStopNotice(t *testing.T) {
	sched := definition.Schedule{{Signal: 15, Wait: 10 * time.Second}, {Signal: 9, Wait: 5 * time.Second}}
	for _, tc := range []struct {
		i    int
		left time.Duration
		want string
	}{
		{0, 9 * time.Second, "waiting for web (pid 7) to exit after TERM; KILL in 9s"},
		{0, 8600 * time.Millisecond, "waiting for web (pid 7) to exit after TERM; KILL in 9s"},
		{0, 100 * time.Millisecond, "waiting for web (pid 7) to exit after TERM; KILL in 1s"},
		{1, 4 * time.Second, "waiting for web (pid 7) to exit after KILL; giving up in 4s"},
	} {
		if got := stopNotice("web (pid 7)", sched, tc.i, tc.left); got != tc.want {
			t.Errorf("stopNotice(step %d, %v) = %q, want %q", tc.i, tc.left, got, tc.want)
		}
	}
}
