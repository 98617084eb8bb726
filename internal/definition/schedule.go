package definition

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/proc"
)

// Step is one stage of stopping: send Signal, then wait up to Wait for every
// process to be gone before moving to the next step.
type Step struct {
	Signal syscall.Signal
	Wait   time.Duration
}

// Schedule is the sequence of steps Stop runs, in the spirit of
// start-stop-daemon --retry. If processes remain after the last step's Wait,
// Stop gives up and reports them.
type Schedule []Step

// DefaultSchedule returns the schedule used when Spec.Stop is empty:
// SIGTERM, up to 10 s, then SIGKILL, up to 5 s ("TERM/10s/KILL/5s").
func DefaultSchedule() Schedule {
	return Schedule{{syscall.SIGTERM, 10 * time.Second}, {syscall.SIGKILL, 5 * time.Second}}
}

// ParseSchedule parses a stop schedule: SIGNAL/TIMEOUT pairs separated by
// slashes, such as "TERM/10/KILL/5" or "INT/5s/TERM/2.5/KILL/500ms". A
// signal is anything proc.ParseSignal accepts; a timeout is a number of
// seconds (a decimal fraction is allowed) or a Go duration with a unit. A
// schedule that is a single timeout T means "TERM/T/KILL/T", as in
// start-stop-daemon. Timeouts may be zero but not negative.
func ParseSchedule(s string) (Schedule, error) {
	items := strings.Split(s, "/")
	if len(items) == 1 {
		d, err := parseTimeout(items[0])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", s, err)
		}
		return Schedule{{syscall.SIGTERM, d}, {syscall.SIGKILL, d}}, nil
	}
	if len(items)%2 != 0 {
		return nil, fmt.Errorf("schedule %q: want SIGNAL/TIMEOUT pairs, %q has no timeout", s, items[len(items)-1])
	}
	var sched Schedule
	for i := 0; i < len(items); i += 2 {
		sig, err := proc.ParseSignal(items[i])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: step %d: %w", s, i/2+1, err)
		}
		d, err := parseTimeout(items[i+1])
		if err != nil {
			return nil, fmt.Errorf("schedule %q: step %d: %w", s, i/2+1, err)
		}
		sched = append(sched, Step{sig, d})
	}
	return sched, nil
}

// parseTimeout parses seconds ("10", "2.5") or a Go duration ("500ms").
func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty timeout")
	}
	if isDecimal(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f*float64(time.Second) >= math.MaxInt64 {
			return 0, fmt.Errorf("timeout %q out of range", s)
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad timeout %q: want seconds or a duration such as 500ms", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative timeout %q", s)
	}
	return d, nil
}

// isDecimal reports whether s is digits with at most one '.' among them.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// String formats the schedule so that ParseSchedule reads it back:
// "TERM/10s/KILL/5s".
func (s Schedule) String() string {
	var b strings.Builder
	for i, st := range s {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(proc.SignalName(st.Signal))
		b.WriteByte('/')
		b.WriteString(st.Wait.String())
	}
	return b.String()
}
