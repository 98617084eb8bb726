package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 25, items 2, 3 and 6: commands that race each other, or the
// host's death.

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

// tryResurrectTwice (25.3): three daemons, then a reboot as the campaign
// can make one (kill -9 of the keeper, the host and the daemons), then
// two `tend resurrect` at once: both exit 0, each daemon is said started
// by one of them only, runs once, as that pid, not restarted since.
func tryResurrectTwice(t *T) error {
	names := []string{t.name("-a"), t.name("-b"), t.name("-c")}
	var victims []pinfo
	for k, name := range names {
		s, err := t.startSleep(name, k)
		if err != nil {
			return err
		}
		p, err := t.ours(s.PID)
		if err != nil {
			return err
		}
		victims = append(victims, p)
	}
	host, err := t.hostPID()
	if err != nil {
		return err
	}
	hp, err := t.ours(host)
	if err != nil {
		return fmt.Errorf("the host: %w", err)
	}
	keeper, err := t.ours(hp.ppid)
	if err != nil {
		return fmt.Errorf("the host's keeper: %w", err)
	}
	t.Step("a reboot: kill -9 of the keeper, the host and the daemons")
	all := append([]pinfo{keeper, hp}, victims...)
	for _, p := range all {
		signalVerified(p, syscall.SIGKILL)
	}
	for _, p := range all {
		if err := t.waitFor(5*time.Second, fmt.Sprintf("pid %d to die", p.pid), func() bool { return !aliveAs(p) }); err != nil {
			return err
		}
	}
	var rs [2]res
	parallel(func() { rs[0] = t.tend("resurrect") }, func() { rs[1] = t.tend("resurrect") })
	var p problems
	said := map[string]int{}
	for _, r := range rs {
		if r.code != 0 {
			p.add("%v; expected exit 0", r)
		}
		for _, line := range strings.Split(r.out, "\n") {
			name, rest, ok := strings.Cut(line, ": started (pid ")
			if !ok {
				continue
			}
			pid, _ := strconv.Atoi(strings.TrimSuffix(rest, ")"))
			if _, twice := said[name]; twice {
				t.count("daemons started by both", 1)
				p.add("%s was started by both resurrects: %v; %v", name, rs[0], rs[1])
			}
			said[name] = pid
		}
	}
	for k, name := range names {
		s, _, err := t.status(name)
		copies := sleeping(t.arg(k))
		switch {
		case err != nil:
			p.add("status %s: %v", name, err)
		case s.State != "running" || s.PID != said[name] || s.Restarts != 0 || !slices.Equal(copies, []int{s.PID}):
			t.count("daemons started twice or stopped", 1)
			p.add("%s after two resurrects: %s pid %d, restarts %d, copies %v; said started as pid %d (%v; %v)",
				name, s.State, s.PID, s.Restarts, copies, said[name], rs[0], rs[1])
		}
	}
	return p.err()
}
