package supervisor

import (
	"time"

	"github.com/tendhq/tend/internal/definition"
)

// throttle holds the restart history of one daemon. It is pure logic: the
// caller passes the time, so tests drive it with a fake clock.
type throttle struct {
	backoff definition.Backoff
	limit   definition.StartLimit
	delay   time.Duration // the last backoff delay; 0 before the first
	streak  int           // consecutive restarts, each after a short run
	starts  []time.Time   // the most recent start times, at most Burst
}

func newThrottle(b definition.Backoff, l definition.StartLimit) *throttle {
	return &throttle{backoff: b.WithDefaults(), limit: l.WithDefaults()}
}

// started records a start at now.
func (t *throttle) started(now time.Time) {
	if t.limit.Burst < 0 {
		return
	}
	t.starts = append(t.starts, now)
	if len(t.starts) > t.limit.Burst {
		t.starts = t.starts[len(t.starts)-t.limit.Burst:]
	}
}

// next returns how long to wait before restarting a daemon that ended at
// now after running for ranFor, or ok=false if that restart would break the
// start limit.
func (t *throttle) next(now time.Time, ranFor time.Duration) (delay time.Duration, ok bool) {
	if ranFor >= t.backoff.Reset {
		t.delay, t.streak = 0, 0
	}
	t.streak++
	switch {
	case t.streak == 1:
		t.delay = 0 // the first restart of a streak is immediate
	case t.delay == 0:
		t.delay = t.backoff.Initial
	case t.delay >= t.backoff.Max/2:
		t.delay = t.backoff.Max
	default:
		t.delay *= 2
	}
	if t.limit.Burst < 0 {
		return t.delay, true
	}
	at := now.Add(t.delay)
	n := 1 // the restart itself
	for _, s := range t.starts {
		if at.Sub(s) < t.limit.Interval {
			n++
		}
	}
	return t.delay, n <= t.limit.Burst
}
