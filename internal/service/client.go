package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervise"
)

// ErrNotRunning is wrapped when an operation needs a running daemon.
var ErrNotRunning = errors.New("not running")

// call sends one request to the daemon's supervisor and decodes the data
// of a successful answer into out (when not nil).
func call(ctx context.Context, dir state.Dir, req control.Request, out any) error {
	resp, err := control.Call(ctx, dir.Socket(), req)
	if err != nil {
		return err
	}
	if !resp.OK {
		return errors.New(resp.Error)
	}
	if out != nil && len(resp.Data) > 0 {
		return json.Unmarshal(resp.Data, out)
	}
	return nil
}

// Stop stops the daemon and says how it ended. A daemon that is not running
// gives ErrNotRunning (and ErrStale when its record names a pid that now
// belongs to another process, which is left alone). When its supervisor is
// gone but the child lives (verified by pid and start time), tend runs the
// stop schedule itself, also when the supervisor dies during the stop.
func Stop(ctx context.Context, dir state.Dir) (string, error) {
	v, err := Inspect(dir)
	if errors.Is(err, ErrUnknown) {
		// The folder exists but no record: a start that never got far.
		return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	if err != nil {
		return "", err
	}
	if v.SupervisorAlive {
		var res StopResult
		err := callRunning(ctx, dir, control.Request{Op: "stop"}, &res)
		if err == nil {
			// The supervisor is one of the daemon's processes too: return
			// once it has written its last record and let go of its lock,
			// so that a start right after this one finds the name free.
			return res.Description, waitUnlocked(ctx, dir, v.Supervisor)
		}
		if ctx.Err() != nil || !broken(err) {
			return "", err
		}
		// The supervisor is gone (before the call, or killed during the
		// stop): once its lock is free, finish from what it left behind.
		if werr := waitUnlocked(ctx, dir, v.Supervisor); werr != nil {
			return "", err
		}
		nv, ierr := Inspect(dir)
		if ierr != nil || nv.SupervisorAlive {
			return "", err
		}
		if !nv.ChildAlive && !errors.Is(err, control.ErrNoServer) {
			// Killed during the stop, after the child was gone.
			how := "gone"
			if nv.LastExit != nil {
				how = nv.LastExit.Description
			}
			if !final(nv.State) {
				if werr := markStopped(dir, nv.Record, how); werr != nil {
					return how, werr
				}
			}
			return how + " (its supervisor died before answering)", nil
		}
		v = nv
	}
	if !v.ChildAlive {
		if v.Stale {
			return "", fmt.Errorf("%s is %w (%w: pid %d now belongs to another process, which was left alone)",
				dir.Name, ErrNotRunning, ErrStale, v.PID)
		}
		return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	return stopLost(ctx, dir, v)
}

// ErrStale is wrapped when a daemon's record names a pid that now belongs
// to an unrelated process (pid reuse); tend never signals it.
var ErrStale = errors.New("stale record")

// broken reports whether a call failed because the supervisor is not (or
// no longer) there to answer, rather than because it answered an error.
func broken(err error) bool {
	return errors.Is(err, control.ErrNoServer) || errors.Is(err, control.ErrProtocol) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// callRunning is call for a supervisor that holds its lock: while it is
// still starting, its control socket may not be listening yet, so a
// missing server is retried until the socket answers or the lock is
// released (10 s at most).
func callRunning(ctx context.Context, dir state.Dir, req control.Request, out any) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := call(ctx, dir, req, out)
		if !errors.Is(err, control.ErrNoServer) {
			return err
		}
		held, _, lerr := pidfile.Locked(dir.SupervisorPIDFile())
		if lerr != nil || !held || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stopLost runs the stop schedule on the child of a dead supervisor,
// signalling its process group only after checking that the pid is still
// that child.
func stopLost(ctx context.Context, dir state.Dir, v *View) (string, error) {
	def, err := LoadDefinition(dir)
	sched := supervise.DefaultSchedule()
	if err == nil {
		if s, err := def.Schedule(); err == nil {
			sched = s
		}
	}
	child := v.Child()
	how := ""
	for _, step := range sched {
		if err := child.SignalGroup(step.Signal); err != nil {
			if errors.Is(err, proc.ErrNotFound) || errors.Is(err, proc.ErrStale) {
				break
			}
			child.Signal(step.Signal)
		}
		deadline := time.Now().Add(step.Wait)
		for child.Alive() && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond) // no wait4: it is not our child
		}
		if !child.Alive() {
			how = fmt.Sprintf("gone after SIG%s (it was running without a supervisor)", proc.SignalName(step.Signal))
			break
		}
	}
	if child.Alive() {
		return "", fmt.Errorf("%s: pid %d survived the stop schedule", dir.Name, child.PID)
	}
	return how, markStopped(dir, v.Record, how)
}

// markStopped records, for a supervisor that can no longer do it, that the
// daemon stopped.
func markStopped(dir state.Dir, rec Record, how string) error {
	rec.Snapshot = supervise.Snapshot{State: supervise.Stopped, Restarts: rec.Restarts, LastExit: &supervise.Exit{Description: how, At: time.Now()}}
	rec.UpdatedAt = time.Now()
	return state.WriteVolatileJSON(dir.StatusFile(), &rec, 0o600)
}

// Signal sends sig to the daemon's main process, or to its whole process
// group, and returns the pid it reached.
func Signal(ctx context.Context, dir state.Dir, sig syscall.Signal, group bool) (int, error) {
	v, err := Inspect(dir)
	if err != nil {
		return 0, err
	}
	if v.SupervisorAlive {
		var res SignalResult
		err := callRunning(ctx, dir, control.Request{Op: "signal", Signal: proc.SignalName(sig), Group: group}, &res)
		if err != nil && errors.Is(err, control.ErrNoServer) {
			return 0, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
		}
		return res.PID, err
	}
	if v.Stale {
		return 0, fmt.Errorf("%s: the recorded pid %d now belongs to another process (%w); not signalling it", dir.Name, v.PID, ErrStale)
	}
	if !v.ChildAlive {
		return 0, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	child := v.Child()
	if group {
		err = child.SignalGroup(sig)
	} else {
		err = child.Signal(sig)
	}
	return child.PID, err
}

// LogRequest asks the supervisor to rotate ("rotate") or reopen ("reopen")
// the output log.
func LogRequest(ctx context.Context, dir state.Dir, op string) error {
	err := call(ctx, dir, control.Request{Op: op}, nil)
	if errors.Is(err, control.ErrNoServer) {
		return fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	return err
}

// LoadDefinition reads the stored definition of a daemon.
func LoadDefinition(dir state.Dir) (*Definition, error) {
	var def Definition
	if err := state.ReadJSON(dir.DefinitionFile(), &def); err != nil {
		return nil, err
	}
	return &def, nil
}

// waitUnlocked waits until the daemon's supervisor sup has exited: its
// pidfile lock is free, or held by another supervisor (a start that came
// right after the stop). It polls: the supervisor is not our child, and it
// is already on its way out. A zero sup waits for the lock alone.
func waitUnlocked(ctx context.Context, dir state.Dir, sup proc.Identity) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, pid, err := pidfile.Locked(dir.SupervisorPIDFile())
		if err != nil || !held {
			return err
		}
		if sup.PID > 0 && (pid != sup.PID || !sup.Alive()) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: stopped, but its supervisor (pid %d) has not exited after 10s", dir.Name, pid)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
