package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/tendhq/tend/control"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/pidfile"
	"github.com/tendhq/tend/state"
	"github.com/tendhq/tend/supervise"
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
// gives ErrNotRunning. When its supervisor is gone but the child lives
// (verified by pid and start time), tend runs the stop schedule itself.
func Stop(ctx context.Context, dir state.Dir) (string, error) {
	v, err := Inspect(dir)
	if err != nil {
		return "", err
	}
	if v.SupervisorAlive {
		var res StopResult
		err := call(ctx, dir, control.Request{Op: "stop"}, &res)
		if errors.Is(err, control.ErrNoServer) {
			// It exited between Inspect and the call.
			return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
		}
		if err != nil {
			return "", err
		}
		// The supervisor is one of the daemon's processes too: return once
		// it has written its last record and let go of its lock, so that a
		// start right after this one finds the name free.
		return res.Description, waitUnlocked(ctx, dir)
	}
	if !v.ChildAlive {
		return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	return stopLost(ctx, dir, v)
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
	rec := v.Record
	rec.Snapshot = supervise.Snapshot{State: supervise.Stopped, Restarts: rec.Restarts, LastExit: &supervise.Exit{Description: how, At: time.Now()}}
	rec.UpdatedAt = time.Now()
	if err := state.WriteVolatileJSON(dir.StatusFile(), &rec, 0o600); err != nil {
		return how, err
	}
	return how, nil
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
		err := call(ctx, dir, control.Request{Op: "signal", Signal: proc.SignalName(sig), Group: group}, &res)
		if err != nil && errors.Is(err, control.ErrNoServer) {
			return 0, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
		}
		return res.PID, err
	}
	if v.Stale {
		return 0, fmt.Errorf("%s: the recorded pid %d now belongs to another process (stale record); not signalling it", dir.Name, v.PID)
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

// waitUnlocked waits until the daemon's supervisor has exited (its pidfile
// lock is free). It polls: the supervisor is not our child, and it is
// already on its way out.
func waitUnlocked(ctx context.Context, dir state.Dir) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, pid, err := pidfile.Locked(dir.SupervisorPIDFile())
		if err != nil || !held {
			return err
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
