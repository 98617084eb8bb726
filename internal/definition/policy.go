package definition

import (
	"fmt"
	"strings"
	"time"
)

// RestartPolicy says when a daemon whose processes have all ended is
// started again. The zero value is OnFailure.
type RestartPolicy int

const (
	// OnFailure restarts a daemon whose main process exited with a
	// non-zero status or was killed by a signal, and leaves one that
	// exited with status 0 alone.
	OnFailure RestartPolicy = iota
	// Always restarts a daemon however it ended.
	Always
	// Never leaves an ended daemon alone.
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
	return 0, fmt.Errorf("unknown restart policy %q (want on-failure, always or never)", s)
}

// Restarts reports whether the policy restarts a daemon that ended with
// the exit code (128+N for death by signal N).
func (r RestartPolicy) Restarts(code int) bool {
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
// StartLimitBurst=5 within StartLimitIntervalSec=10s): a command that
// crashes at once is started at 0, 0, 0.1, 0.3 and 0.7 s, and is declared
// failed when it crashes the fifth time, because a sixth start (at 1.5 s)
// would be the sixth within 10 s.
const (
	// DefaultBackoffInitial is the first restart delay.
	DefaultBackoffInitial = 100 * time.Millisecond
	// DefaultBackoffMax caps the doubling restart delay.
	DefaultBackoffMax = 30 * time.Second
	// DefaultBackoffReset is how long a daemon must run for its end to
	// count as the first again.
	DefaultBackoffReset = 10 * time.Second
	// DefaultStartLimitBurst is how many starts DefaultStartLimitInterval
	// may hold.
	DefaultStartLimitBurst = 5
	// DefaultStartLimitInterval is the window of the start limit.
	DefaultStartLimitInterval = 10 * time.Second
)

// Backoff is the delay between a daemon's end and its restart. The first
// restart is immediate, the second waits Initial, and each further
// consecutive restart waits twice as long as the one before, up to Max.
// Once a daemon has run for Reset or longer, its end counts as the first
// again. Zero (or negative) fields take the defaults DefaultBackoffInitial,
// DefaultBackoffMax and DefaultBackoffReset; a Max below Initial is raised
// to Initial.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Reset   time.Duration
}

// WithDefaults returns b with its zero fields set to the defaults.
func (b Backoff) WithDefaults() Backoff {
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

// StartLimit gives up on a daemon that starts too often: when a restart
// would make more than Burst starts within Interval, the daemon is failed
// instead. The zero value means DefaultStartLimitBurst starts within
// DefaultStartLimitInterval; a zero Interval alone means
// DefaultStartLimitInterval. A negative Burst disables the limit, leaving
// the backoff as the only brake.
//
// Starts are counted at the time the restart would happen, after its
// backoff, so the limit and the backoff must fit together: the sum of Burst
// consecutive backoff delays has to be shorter than Interval, or a crash
// loop is slowed down forever but never declared failed.
type StartLimit struct {
	Burst    int
	Interval time.Duration
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l StartLimit) WithDefaults() StartLimit {
	if l.Burst == 0 {
		l.Burst = DefaultStartLimitBurst
	}
	if l.Interval <= 0 {
		l.Interval = DefaultStartLimitInterval
	}
	return l
}
