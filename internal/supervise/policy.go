package supervise

import (
	"fmt"
	"strings"
	"time"
)

// RestartPolicy says when a child that exited is started again. The zero
// value is OnFailure.
type RestartPolicy int

const (
	// OnFailure restarts a child that exited with a non-zero status or was
	// killed by a signal, and leaves one that exited with status 0 alone.
	OnFailure RestartPolicy = iota
	// Always restarts a child however it ended.
	Always
	// Never leaves an exited child alone.
	Never
)

// String returns "on-failure", "always" or "never".
func (r RestartPolicy) String() string {
	switch r {
	case OnFailure:
		return "on-failure"
	case Always:
		return "always"
	case Never:
		return "never"
	}
	return fmt.Sprintf("RestartPolicy(%d)", int(r))
}

// ParseRestartPolicy parses the result of RestartPolicy.String, in any case.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	for _, r := range []RestartPolicy{OnFailure, Always, Never} {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("supervise: unknown restart policy %q (want on-failure, always or never)", s)
}

// restarts reports whether the policy restarts a child that ended with the
// exit code (as from proc.ExitCode: 128+N for death by signal N).
func (r RestartPolicy) restarts(code int) bool {
	switch r {
	case Always:
		return true
	case Never:
		return false
	}
	return code != 0
}

// Default backoff and start limit. The first restart after a crash is
// immediate (as with runit, libslack daemon and pm2): a one-off crash costs
// no downtime. Further consecutive restarts follow systemd (RestartSec=100ms,
// StartLimitBurst=5 within StartLimitIntervalSec=10s): a child that crashes
// at once is started at 0, 0, 0.1, 0.3 and 0.7 s, and is declared Failed
// when it crashes the fifth time, because a sixth start (at 1.5 s) would be
// the sixth within 10 s.
const (
	// DefaultBackoffInitial is the first restart delay.
	DefaultBackoffInitial = 100 * time.Millisecond
	// DefaultBackoffMax caps the doubling restart delay.
	DefaultBackoffMax = 30 * time.Second
	// DefaultBackoffReset is how long a child must run for its exit to
	// count as the first again.
	DefaultBackoffReset = 10 * time.Second
	// DefaultStartLimitBurst is how many starts DefaultStartLimitInterval
	// may hold.
	DefaultStartLimitBurst = 5
	// DefaultStartLimitInterval is the window of the start limit.
	DefaultStartLimitInterval = 10 * time.Second
)

// Backoff is the delay between a child's exit and its restart. The first
// restart is immediate, the second waits Initial, and each further
// consecutive restart waits twice as long as the one before, up to Max.
// Once a child has run for Reset or longer, its
// exit counts as the first again. Zero (or negative) fields take the
// defaults DefaultBackoffInitial, DefaultBackoffMax and DefaultBackoffReset;
// a Max below Initial is raised to Initial.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Reset   time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoffInitial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Reset <= 0 {
		b.Reset = DefaultBackoffReset
	}
	return b
}

// StartLimit gives up on a child that starts too often: when a restart would
// make more than Burst starts within Interval, the process is Failed
// instead. The zero value means DefaultStartLimitBurst starts within
// DefaultStartLimitInterval; a zero Interval alone means
// DefaultStartLimitInterval. A negative Burst disables the limit, leaving
// the backoff as the only brake.
//
// Starts are counted at the time the restart would happen, after its backoff,
// so the limit and the backoff must fit together: the sum of Burst
// consecutive backoff delays has to be shorter than Interval, or a crash
// loop is slowed down forever but never declared Failed.
type StartLimit struct {
	Burst    int
	Interval time.Duration
}

func (l StartLimit) withDefaults() StartLimit {
	if l.Burst == 0 {
		l.Burst = DefaultStartLimitBurst
	}
	if l.Interval <= 0 {
		l.Interval = DefaultStartLimitInterval
	}
	return l
}

// throttle holds the restart history of one Process. It is pure logic: the
// caller passes the time, so tests drive it with a fake clock.
type throttle struct {
	backoff Backoff
	limit   StartLimit
	delay   time.Duration // the last backoff delay; 0 before the first
	streak  int           // consecutive restarts, each after a short run
	starts  []time.Time   // the most recent start times, at most Burst
}

func newThrottle(b Backoff, l StartLimit) *throttle {
	return &throttle{backoff: b.withDefaults(), limit: l.withDefaults()}
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

// next returns how long to wait before restarting a child that exited at
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
