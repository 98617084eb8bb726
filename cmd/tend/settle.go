package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// The start's watch. With --ready settled (the default) the supervisor says
// "ready" once the command has been executed, which a program that
// crashes at once also achieves. So tend start, which returns then,
// watches it a moment longer: until it has settled, that is until all its
// processes sleep (wait for a connection, a timer, input) and stop using
// the CPU, at most settleWindow per incarnation. A program that works
// settles at once (sleep, a server waiting for its first connection: a
// few milliseconds); one that crashes at once ends first, and the start
// is a failure. The supervisor restarts it meanwhile, per --restart, as it
// would after any crash: the start is then over once the daemon settles
// (a crash it got over), or the supervisor gives up (failed, exited), or
// the next attempt is more than settleBackoff away.

const (
	// settleWindow bounds the watch of one incarnation: a program still
	// busy after that long is taken as started (supervisord's startsecs).
	settleWindow = time.Second
	// settleQuiet is how long a settled program must stay asleep, using
	// no more than settleCPU of it.
	settleQuiet = 3 * time.Millisecond
	settleCPU   = 0.05
	// settleBackoff: a crashed daemon whose next start is further away
	// than that is not waited for, nor one that still crashes that long
	// after its first crash (the default start limit marks a daemon that
	// crashes at once failed within 1.5 s).
	settleBackoff = 2 * time.Second
	// settleMax bounds the whole watch, across restarts.
	settleMax = 15 * time.Second
)

// started is what a successful start reports.
type started struct {
	pid     int
	crashes []string // how the incarnations that crashed during the start ended
	ended   string   // for one that already ended cleanly: how, and why it stays so
}

// note is the part of "started NAME (pid N...)" after the pid.
func (s started) note() string {
	if s.ended != "" {
		return "; " + s.ended
	}
	switch len(s.crashes) {
	case 0:
		return ""
	case 1:
		return "; it crashed once during its start (" + s.crashes[0] + ") and was restarted"
	}
	return fmt.Sprintf("; it crashed %d times during its start (last: %s) and was restarted", len(s.crashes), s.crashes[len(s.crashes)-1])
}

// startError is a start that failed after the command ran: it crashed
// during its start.
type startError struct {
	name    string
	exit    string // how its last incarnation ended
	crashes int
	verdict string // what the supervisor does now
	stderr  []string
	log     string
}

func (e *startError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s during its start", e.name, e.exit)
	if e.crashes > 1 {
		fmt.Fprintf(&b, " (%d tries)", e.crashes)
	}
	fmt.Fprintf(&b, "; %s", e.verdict)
	return b.String()
}

// watchStart watches a daemon that client.Start has just started (see
// above); pid is the pid Start returned.
func watchStart(dir state.Dir, def *definition.Definition, pid int) (started, error) {
	if !def.Readiness().Settle {
		// The supervisor waited for the daemon's own signal of readiness,
		// or, with an explicit --ready exec, for the exec alone.
		return started{pid: pid}, nil
	}
	begin := time.Now()
	var (
		out        = started{pid: pid}
		seen       int // restarts already counted
		firstCrash time.Time
		incBegin   = begin
		wait       = time.Millisecond
	)
	for {
		// Inspect, not Peek: the answer must include a crash the
		// supervisor has seen but not yet written (TestCrashAtStart).
		v, err := client.Inspect(dir)
		if err != nil {
			return out, nil // it was started; what became of it is status's to say
		}
		if seen == 0 && v.Restarts > 0 {
			firstCrash = time.Now()
		}
		for ; seen < v.Restarts; seen++ {
			how := "ended"
			if v.LastExit != nil {
				how = v.LastExit.Description
			}
			out.crashes = append(out.crashes, how)
		}
		switch {
		case v.Condition == client.Condition(status.Exited) && v.LastExit != nil && v.LastExit.Code == 0:
			// A clean end (a one-shot command): not a crash.
			out.ended = fmt.Sprintf("it has %s already, and --restart %s leaves it so", v.LastExit.Description, def.Policy())
			return out, nil
		case v.Condition == client.Condition(status.Failed) || v.Condition == client.Condition(status.Exited) ||
			v.Condition == client.Condition(status.Stopped) || v.Condition == client.Dead:
			return out, crashedAtStart(dir, v, len(out.crashes)+1, verdictOf(v, def))
		case len(out.crashes) > 0 && time.Since(firstCrash) > settleBackoff:
			return out, crashedAtStart(dir, v, len(out.crashes), fmt.Sprintf(
				"it keeps crashing, and tend restarts it per --restart %s (see: tend status %s; stop it with: tend stop %s)",
				def.Policy(), dir.Name, dir.Name))
		case v.Condition == client.Condition(status.BackingOff):
			if time.Until(v.NextStart) > settleBackoff || time.Since(begin) > settleMax {
				return out, crashedAtStart(dir, v, len(out.crashes), fmt.Sprintf(
					"tend restarts it in %s per --restart %s (see: tend status %s; stop it with: tend stop %s)",
					time.Until(v.NextStart).Round(100*time.Millisecond), def.Policy(), dir.Name, dir.Name))
			}
		case !v.MainAlive || v.PID <= 0:
		default:
			if v.PID != out.pid {
				out.pid, incBegin = v.PID, time.Now()
			}
			if time.Since(incBegin) > settleWindow || time.Since(begin) > settleMax {
				return out, nil // busy, but running
			}
			switch yes, known := proc.Settled(v.PID, settleQuiet, settleCPU); {
			case yes, !known:
				return out, nil
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// verdictOf says what became of a daemon that ended during its start.
func verdictOf(v *client.View, def *definition.Definition) string {
	switch v.Condition {
	case client.Condition(status.Failed):
		why, _, _ := strings.Cut(v.Err, "; last exit: ")
		if why != "" {
			why = " (" + why + ")"
		}
		return fmt.Sprintf("tend gave up on it%s; fix it, then: tend restart %s", why, v.Name)
	case client.Condition(status.Exited):
		return "it is not restarted (--restart " + def.Policy().String() + ")"
	}
	return "it is " + string(v.Condition)
}

// crashedAtStart is the error for a daemon that ended during its start,
// with its last lines of stderr.
func crashedAtStart(dir state.Dir, v *client.View, tries int, verdict string) error {
	e := &startError{name: dir.Name, exit: "ended", crashes: tries, verdict: verdict, log: v.Log}
	if v.LastExit != nil {
		e.exit = v.LastExit.Description
	}
	e.stderr = lastStderr(v.Log, 20, v.StartedAt)
	return e
}
