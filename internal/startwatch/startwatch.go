// Package startwatch is the watch of a start with the default readiness
// (--ready settled): the supervisor says "ready" once the command has been
// executed, which a program that crashes at once also achieves. So a start
// is watched a moment longer: until the daemon has settled, that is until
// all its processes sleep (wait for a connection, a timer, input) and stop
// using the CPU, at most Window per incarnation. A program that works
// settles at once (sleep, a server waiting for its first connection: a few
// milliseconds); one that crashes at once ends first, and the start is a
// failure. The supervisor restarts it meanwhile, per --restart, as it would
// after any crash: the start is then over once the daemon settles (a crash
// it got over), or the supervisor gives up (failed, exited), or the next
// attempt is more than Backoff away.
//
// The host runs the watch before it answers a start; tend runs it itself
// for a daemon supervised by a process of its own (--isolated).
package startwatch

import (
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

const (
	// Window bounds the watch of one incarnation: a program still busy
	// after that long is taken as started (supervisord's startsecs).
	Window = time.Second
	// quiet is how long a settled program must stay asleep, using no
	// more than quietCPU of it.
	quiet    = 3 * time.Millisecond
	quietCPU = 0.05
	// Backoff: a crashed daemon whose next start is further away than
	// that is not waited for, nor one that still crashes that long after
	// its first crash (the default start limit marks a daemon that
	// crashes at once failed within 1.5 s).
	Backoff = 2 * time.Second
	// Max bounds the whole watch, across restarts.
	Max = 15 * time.Second
)

// Result is what a start that worked reports.
type Result struct {
	PID int `json:"pid"`
	// Crashes says how the incarnations that crashed during the start
	// ended.
	Crashes []string `json:"crashes_at_start,omitzero"`
	// Ended, for a daemon that already ended cleanly: how, and why it
	// stays so.
	Ended string `json:"ended_at_start,omitzero"`
}

// Note is the part of "started NAME (pid N...)" after the pid.
func (r Result) Note() string {
	if r.Ended != "" {
		return "; " + r.Ended
	}
	switch len(r.Crashes) {
	case 0:
		return ""
	case 1:
		return "; it crashed once during its start (" + r.Crashes[0] + ") and was restarted"
	}
	return fmt.Sprintf("; it crashed %d times during its start (last: %s) and was restarted", len(r.Crashes), r.Crashes[len(r.Crashes)-1])
}

// CrashError is a start that failed after the command ran: it crashed
// during its start.
type CrashError struct {
	Name    string
	Exit    string // how its last incarnation ended
	Tries   int
	Verdict string // what the supervisor does now
	// Log is the daemon's log, and StartedAt when its last incarnation
	// started: its stderr since then says why.
	Log       string
	StartedAt time.Time
}

func (e *CrashError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s during its start", e.Name, e.Exit)
	if e.Tries > 1 {
		fmt.Fprintf(&b, " (%d tries)", e.Tries)
	}
	fmt.Fprintf(&b, "; %s", e.Verdict)
	return b.String()
}

// Watch watches a daemon that has just been started with def, whose main
// pid is pid; look returns its current view. It returns once the daemon
// has settled, or a *CrashError.
func Watch(look func() (*api.View, error), def *definition.Definition, pid int) (Result, error) {
	if !def.Readiness().Settle {
		// The supervisor waited for the daemon's own signal of readiness,
		// or, with an explicit --ready exec, for the exec alone.
		return Result{PID: pid}, nil
	}
	begin := time.Now()
	var (
		out        = Result{PID: pid}
		seen       int // restarts already counted
		firstCrash time.Time
		incBegin   = begin
		wait       = time.Millisecond
	)
	for {
		v, err := look()
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
			out.Crashes = append(out.Crashes, how)
		}
		switch {
		case v.Condition == api.Condition(status.Exited) && v.LastExit != nil && v.LastExit.Code == 0:
			// A clean end (a one-shot command): not a crash.
			out.Ended = fmt.Sprintf("it has %s already, and --restart %s leaves it so", v.LastExit.Description, def.Policy())
			return out, nil
		case v.Condition == api.Condition(status.Failed) || v.Condition == api.Condition(status.Exited) ||
			v.Condition == api.Condition(status.Stopped) || v.Condition == api.Dead:
			return out, crashed(v, len(out.Crashes)+1, verdictOf(v, def))
		case len(out.Crashes) > 0 && time.Since(firstCrash) > Backoff:
			return out, crashed(v, len(out.Crashes), fmt.Sprintf(
				"it keeps crashing, and tend restarts it per --restart %s (see: tend status %s; stop it with: tend stop %s)",
				def.Policy(), v.Name, v.Name))
		case v.Condition == api.Condition(status.BackingOff):
			if time.Until(v.NextStart) > Backoff || time.Since(begin) > Max {
				return out, crashed(v, len(out.Crashes), fmt.Sprintf(
					"tend restarts it in %s per --restart %s (see: tend status %s; stop it with: tend stop %s)",
					time.Until(v.NextStart).Round(100*time.Millisecond), def.Policy(), v.Name, v.Name))
			}
		case !v.MainAlive || v.PID <= 0:
		default:
			if v.PID != out.PID {
				out.PID, incBegin = v.PID, time.Now()
			}
			if time.Since(incBegin) > Window || time.Since(begin) > Max {
				return out, nil // busy, but running
			}
			switch yes, known := proc.Settled(v.PID, quiet, quietCPU); {
			case yes, !known:
				return out, nil
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// verdictOf says what became of a daemon that ended during its start.
func verdictOf(v *api.View, def *definition.Definition) string {
	switch v.Condition {
	case api.Condition(status.Failed):
		why, _, _ := strings.Cut(v.Err, "; last exit: ")
		if why != "" {
			why = " (" + why + ")"
		}
		return fmt.Sprintf("tend gave up on it%s; fix it, then: tend restart %s", why, v.Name)
	case api.Condition(status.Exited):
		return "it is not restarted (--restart " + def.Policy().String() + ")"
	}
	return "it is " + string(v.Condition)
}

// crashed is the error for a daemon that ended during its start.
func crashed(v *api.View, tries int, verdict string) error {
	e := &CrashError{Name: v.Name, Exit: "ended", Tries: tries, Verdict: verdict, Log: v.Log, StartedAt: v.StartedAt}
	if v.LastExit != nil {
		e.Exit = v.LastExit.Description
	}
	return e
}
