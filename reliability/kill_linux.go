package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 12: a supervisor killed (kill -9) in the middle of a start, a
// restart or a stop.

// crashPoints are the supervisor's fault injection points, in the order
// of a daemon's life (internal/supervisor/crashpoint.go).
var crashPoints = []string{"start-setup", "start-forked", "start-spawned", "start-listening", "stop-requested", "stop-stopped"}

// tryKill9Random (12): kill -9 of the supervisor at a random moment of a
// start (0-40 ms after it appears) or of a restart (0-60 ms after the
// request): afterwards no process of the daemon is invisible, and none is
// ever duplicated (see checkAfterKill). Every other pair of tries runs
// without a cgroup.
func tryKill9Random(t *T) (err error) {
	kind := map[bool]string{true: "start", false: "restart"}[t.I%2 == 0]
	cgroup := "with a cgroup"
	if t.I/2%2 == 1 {
		t.withoutCgroup()
		cgroup = "without"
	}
	defer func() {
		if err != nil {
			t.count(fmt.Sprintf("failed after a kill during a %s, %s", kind, cgroup), 1)
		}
	}()
	name, arg := t.name(""), t.arg(0)
	start := []string{"start", name, "--", "sleep", arg}
	if t.I%2 == 0 {
		t.count("kills during a start", 1)
		done := make(chan res, 1)
		go func() { done <- t.tend(start...) }()
		pidfile := filepath.Join(daemonFolder(t.e.home, name), "supervisor.pid")
		var sup pinfo
		err := t.waitFor(10*time.Second, "the supervisor to appear", func() bool {
			pid, _ := strconv.Atoi(strings.TrimSpace(readText(pidfile)))
			if pid == 0 {
				return false
			}
			p, err := t.ours(pid)
			sup = p
			return err == nil
		})
		if err != nil {
			<-done
			return err
		}
		t.sleep(time.Duration(t.rng.IntN(40_000)) * time.Microsecond)
		signalVerified(sup, syscall.SIGKILL)
		t.waitFor(5*time.Second, "the supervisor to die", func() bool { return !aliveAs(sup) })
		<-done
	} else {
		t.count("kills during a restart", 1)
		s, err := t.startSleep(name, 0)
		if err != nil {
			return err
		}
		sup, err := t.ours(s.Sup)
		if err != nil {
			return err
		}
		done := make(chan res, 1)
		go func() { done <- t.tend("restart", name) }()
		t.sleep(time.Duration(t.rng.IntN(60_000)) * time.Microsecond)
		signalVerified(sup, syscall.SIGKILL)
		t.waitFor(5*time.Second, "the supervisor to die", func() bool { return !aliveAs(sup) })
		<-done
	}
	return t.checkAfterKill(name, arg, start)
}

// tryCrashPoints (12): the supervisor kills itself at each of its crash
// points (TEND_TEST_CRASH_AT) in turn, every other round without a
// cgroup; afterwards, as after a random kill, no process is invisible or
// duplicated.
func tryCrashPoints(t *T) error {
	point := crashPoints[t.I%len(crashPoints)]
	t.count(point, 1)
	if t.I/len(crashPoints)%2 == 1 {
		t.withoutCgroup()
	}
	name, arg := t.name(""), t.arg(0)
	start := []string{"start", name, "--", "sleep", arg}
	o := opts{env: []string{"TEND_TEST_CRASH_AT=" + point}}
	r := t.tendO(o, start...)
	if strings.HasPrefix(point, "stop-") {
		if r.code != 0 {
			return fmt.Errorf("crash point %s: start: %v", point, r)
		}
		r = t.tend("stop", name)
		if r.code != 0 || len(sleeping(arg)) > 0 {
			return fmt.Errorf("crash point %s: the supervisor died during the stop: %v; expected the stop finished by the client (exit 0), the daemon gone (it runs as %v)", point, r, sleeping(arg))
		}
	}
	if err := t.checkAfterKill(name, arg, start); err != nil {
		t.count("failed at "+point, 1)
		return fmt.Errorf("crash point %s (the first command said: %v):\n%w", point, r, err)
	}
	return nil
}

// checkAfterKill checks what a supervisor killed at any moment leaves:
// a process of the daemon that still runs is seen by status (running
// under a new supervisor, or lost with that process), a start refuses
// while it runs and makes no second copy, stop ends it; with nothing
// left, status says nothing runs and a start starts one copy. Then
// start and stop work as ever.
func (t *T) checkAfterKill(name, arg string, start []string) error {
	t.sleep(100 * time.Millisecond) // a child forked just before the kill has exec'd sleep
	var p problems
	copies := sleeping(arg)
	st, r, err := t.status(name)
	switch {
	case len(copies) > 1:
		p.add("%d copies of the daemon run: %v", len(copies), copies)
	case len(copies) == 1:
		seen := (st.State == "running" && st.PID == copies[0]) || (st.State == "lost" && slices.Contains(st.Processes, copies[0]))
		if err != nil || !seen {
			p.add("the daemon runs as %d, but status does not see it: %v", copies[0], r)
		}
		if r := t.tend(start...); r.code == 0 || len(sleeping(arg)) != 1 {
			p.add("start while the daemon runs (%d): %v; expected a refusal and still one copy, there are %v", copies[0], r, sleeping(arg))
		}
	default:
		if err == nil && (st.State == "running" || st.State == "lost" || st.State == "starting") {
			p.add("nothing of the daemon runs, but status says %v", r)
		}
		if r := t.tend(start...); r.code != 0 || len(sleeping(arg)) != 1 {
			p.add("start once nothing ran: %v; copies %v", r, sleeping(arg))
		}
	}
	t.count("daemons found running after the kill", min(len(copies), 1))
	if r := t.tend("stop", name); r.code != 0 || len(sleeping(arg)) > 0 {
		p.add("stop: %v; the daemon runs as %v", r, sleeping(arg))
	}
	if r := t.tend(start...); r.code != 0 || len(sleeping(arg)) != 1 {
		p.add("start afterwards: %v; copies %v", r, sleeping(arg))
	}
	if r := t.tend("stop", name); r.code != 0 || len(sleeping(arg)) > 0 {
		p.add("stop afterwards: %v; copies %v", r, sleeping(arg))
	}
	return p.err()
}
