package main

import (
	"fmt"
	"time"
)

// Issue 25, items 2 and 6: commands that race each other, or the host's
// death.

// tryScaleRestart (25.2): a daemon of 2 instances that take 300 ms to be
// ready, then 20 rounds of `tend scale` to 1, 2 or 3 with a `tend
// restart` 0-40 ms later: every scale and every restart exits 0 within
// 10 s, and afterwards as many copies run as the last scale asked.
func tryScaleRestart(t *T) error {
	name, arg := t.name(""), t.arg(0)
	if r := t.tend("start", name, "--instances", "2", "--ready", "after:300ms", "--", "sleep", arg); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	var p problems
	o := opts{timeout: 15 * time.Second}
	n := 2
	for round := range 20 {
		n = 1 + t.rng.IntN(3)
		var scale, restart res
		delay := time.Duration(t.rng.IntN(40_000)) * time.Microsecond
		parallel(
			func() { scale = t.tendO(o, "scale", name, fmt.Sprint(n)) },
			func() { t.sleep(delay); restart = t.tendO(o, "restart", name) },
		)
		t.count("rounds", 1)
		for _, r := range []res{scale, restart} {
			if r.code != 0 || r.took > 10*time.Second {
				t.count("commands that failed or hung", 1)
				p.add("round %d (restart %s after the scale to %d): %v; expected exit 0 within 10 s", round, short(delay), n, r)
			}
		}
		if len(p) > 0 {
			break
		}
	}
	if err := t.waitFor(5*time.Second, fmt.Sprintf("%d copies after the last scale", n), func() bool { return len(sleeping(arg)) == n }); err != nil {
		p.add("%v: %d run (%v)", err, len(sleeping(arg)), sleeping(arg))
	}
	if r := t.tend("stop", name); r.code != 0 || len(sleeping(arg)) > 0 {
		p.add("stop: %v; copies left %v", r, sleeping(arg))
	}
	return p.err()
}

// tryStopHostKill (25.6): `tend stop`, then kill -9 of the host 5-35 ms
// later, of a sleep (every other try, a shell that takes 50 ms to end on
// SIGTERM, so that the host dies in the middle of the stop), every
// fourth pair without a cgroup: the stop exits 0 (the client sends it
// again to the new host), nothing of the daemon runs once it has, and
// status says stopped.
func tryStopHostKill(t *T) error {
	slow := t.I%2 == 1
	if t.I/2%2 == 1 {
		t.withoutCgroup()
	}
	name, arg := t.name(""), t.arg(0)
	cmd := []string{"sleep", arg}
	if slow {
		cmd = []string{"sh", "-c", "trap 'sleep 0.05; exit 0' TERM; sleep " + arg + " & wait"}
		t.count("tries with a slow stop", 1)
	}
	if r := t.tend(append([]string{"start", name, "--"}, cmd...)...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	if err := t.waitFor(3*time.Second, "the daemon to run", func() bool { return len(sleeping(arg)) == 1 }); err != nil {
		return err
	}
	host, err := t.hostPID()
	if err != nil {
		return err
	}
	done := make(chan res, 1)
	go func() { done <- t.tend("stop", name) }()
	t.sleep(time.Duration(5_000+t.rng.IntN(30_000)) * time.Microsecond)
	if err := t.killSupervisor(host); err != nil {
		<-done
		return err
	}
	r := <-done
	var p problems
	left := withCmdline(arg)
	s, sr, serr := t.status(name)
	switch {
	case r.code != 0:
		t.count("stops that failed", 1)
		p.add("%v, the host killed during it; expected exit 0 (the stop sent again to the new host)", r)
	case len(left) > 0:
		t.count("stopped, said the stop, while it ran", 1)
		p.add("%v, the host killed during it, but the daemon runs: %v (status: %v)", r, left, sr)
	case serr != nil || s.State != "stopped":
		p.add("after the stop (%v): status %v; expected stopped", r, sr)
	}
	return p.err()
}
