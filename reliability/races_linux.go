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
