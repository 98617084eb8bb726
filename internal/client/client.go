package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// Errors of the operations, for errors.Is.
var (
	// ErrNotRunning is wrapped when an operation needs a running daemon.
	ErrNotRunning = errors.New("not running")
	// ErrStale is wrapped when a daemon's record names a pid that now
	// belongs to an unrelated process (pid reuse); tend never signals it.
	ErrStale = errors.New("stale record")
	// errStopping: the supervisor answered that the daemon is stopping or
	// has ended.
	errStopping = errors.New("it is stopping or has ended")
)

// remoteError is a failure the supervisor answered with.
type remoteError struct{ msg, code string }

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Is(target error) bool {
	switch e.code {
	case control.CodeStopped:
		return target == errStopping
	case control.CodeNotRunning:
		return target == ErrNotRunning
	case control.CodeExpired:
		return target == ErrNoAnswer
	}
	return false
}

// ErrNoAnswer is wrapped when a supervisor did not answer in time.
var ErrNoAnswer = errors.New("no answer from the supervisor")

// unanswered explains a request that its deadline cut short, with what
// the supervisor is doing.
func unanswered(dir state.Dir, op string, err error) error {
	sup, ok := lockHolder(dir)
	if !ok {
		return fmt.Errorf("%s: %w to %s: %w", dir.Name, ErrNoAnswer, op, err)
	}
	why := ""
	switch st, _ := proc.RunState(sup.PID); st {
	case 'T', 't':
		why = fmt.Sprintf(": it is stopped (by SIGSTOP or a debugger); continue it with: kill -CONT %d", sup.PID)
	case 'D':
		why = ": it is blocked in the kernel (uninterruptible sleep: a full or hung disk?)"
	default:
		why = fmt.Sprintf(": it runs but is busy; see %s", dir.EventLog())
	}
	return fmt.Errorf("%s: %w (pid %d) to %s in time%s (the request will not be carried out later)", dir.Name, ErrNoAnswer, sup.PID, op, why)
}

// CallTimeout bounds a request to a supervisor that answers at once
// (status, signal, log rotation) when the caller's context sets no
// deadline; stop and restart wait as long as their schedule and readiness
// may take.
const CallTimeout = 5 * time.Second

// call sends one request to the daemon's supervisor and decodes the data
// of a successful answer into out (when not nil). Without a deadline in
// ctx it waits CallTimeout at most. A supervisor that does not answer in
// time gets an error that says what it is doing (a stopped supervisor is
// named, with how to continue it); the request, if it reads it later, is
// not carried out (see control.Request.Deadline).
func call(ctx context.Context, dir state.Dir, req control.Request, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, CallTimeout)
		defer cancel()
	}
	resp, err := control.Call(ctx, dir.Socket(), req)
	if err != nil && ctx.Err() != nil {
		return unanswered(dir, req.Op, err)
	}
	if err != nil {
		return err
	}
	if !resp.OK {
		return &remoteError{resp.Error, resp.Code}
	}
	if out != nil && len(resp.Data) > 0 {
		return json.Unmarshal(resp.Data, out)
	}
	return nil
}

// socketWait is how long callRunning waits for the control socket of a
// supervisor that holds its lock: long enough for one that is starting,
// or remaking a socket someone removed (see supervisor's folder watch).
const socketWait = 2 * time.Second

// callRunning is call for a supervisor that holds its lock: while it is
// still starting, its control socket may not be listening yet, so a
// missing server is retried until the socket answers or the lock is
// released (socketWait at most).
func callRunning(ctx context.Context, dir state.Dir, req control.Request, out any) error {
	deadline := time.Now().Add(socketWait)
	for {
		err := call(ctx, dir, req, out)
		if !errors.Is(err, control.ErrNoServer) {
			return err
		}
		if _, ok := lockHolder(dir); !ok || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// broken reports whether a call failed because the supervisor is not (or
// no longer) there to answer, rather than because it answered an error.
func broken(err error) bool {
	return errors.Is(err, control.ErrNoServer) || errors.Is(err, control.ErrProtocol) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Stop stops the daemon and says how its main process ended. A daemon
// that is not running gives ErrNotRunning (and ErrStale when its record
// names a pid that now belongs to another process, which is left alone).
// When its supervisor is gone but processes of the daemon still run
// (found by its cgroup or invocation id, verified by pid and start time),
// tend runs the stop schedule on them itself, also when the supervisor
// dies during the stop.
func Stop(ctx context.Context, dir state.Dir) (string, error) {
	if InHost(dir) {
		if how, err := hostStop(ctx, dir); !errors.Is(err, errElsewhere) {
			return how, err
		}
	}
	// The record on disk is enough to know whom to ask: a stop does not
	// need the supervisor's fresher copy, which costs a round trip.
	v, err := Peek(dir)
	if errors.Is(err, ErrUnknown) {
		// The folder exists but no record: a start that never got far.
		return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	if err != nil {
		return "", err
	}
	if v.SupervisorAlive {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, stopTimeout(dir))
			defer cancel()
		}
		var res control.StopResult
		err := callRunning(ctx, dir, control.Request{Op: control.OpStop}, &res)
		if errors.Is(err, control.ErrNoServer) {
			// Its control socket is gone (a cleaner of /tmp?) while it
			// runs: SIGTERM asks it to stop too, and it remakes the socket.
			return stopBySignal(ctx, dir, v.Supervisor)
		}
		if err == nil {
			// The supervisor is one of the daemon's processes too: return
			// once it has let go of its lock, so that a start right after
			// this one finds the name free.
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
		if v, err = Inspect(dir); err != nil {
			return "", err
		}
		if v.SupervisorAlive {
			return "", fmt.Errorf("%s: a new supervisor took over during the stop; run tend stop %s again", dir.Name, dir.Name)
		}
		if len(v.Leftovers) == 0 {
			how := "gone"
			if v.LastExit != nil {
				how = v.LastExit.Description
			}
			if !v.State.Final() {
				if werr := markStopped(dir, v.Record, how); werr != nil {
					return how, werr
				}
			}
			return how + " (its supervisor died before answering)", nil
		}
	}
	if len(v.Leftovers) == 0 {
		if v.Condition == Dead {
			removeGroup(v.Cgroup) // its supervisor died, and then its processes
		}
		if v.Stale && !v.State.Final() {
			return "", fmt.Errorf("%s is %w (%w: pid %d now belongs to another process, which was left alone)",
				dir.Name, ErrNotRunning, ErrStale, v.PID)
		}
		return "", fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	return stopLeftovers(ctx, dir, v)
}

// removeGroup removes the cgroup of a daemon whose supervisor is gone, once
// nothing runs in it (it waits a moment for the last process to leave).
func removeGroup(path string) {
	if path == "" {
		return
	}
	if g, err := cgroup.Open(path); err == nil {
		g.Remove()
	}
}

// stopTimeout is how long a stop may take: the daemon's stop schedule,
// and a margin for the supervisor to finish.
func stopTimeout(dir state.Dir) time.Duration {
	sched := definition.DefaultSchedule()
	if def, err := LoadDefinition(dir); err == nil {
		if s, err := def.Schedule(); err == nil {
			sched = s
		}
	}
	d := 10 * time.Second
	for _, step := range sched {
		d += step.Wait
	}
	return d
}

// stopBySignal stops a daemon whose supervisor runs but does not answer on
// its socket: SIGTERM to the supervisor (checked by pid and start time)
// makes it run the stop schedule and exit.
func stopBySignal(ctx context.Context, dir state.Dir, sup proc.Identity) (string, error) {
	if err := sup.Signal(syscall.SIGTERM); err != nil {
		return "", fmt.Errorf("%s: its supervisor (pid %d) has no control socket, and SIGTERM did not reach it: %w", dir.Name, sup.PID, err)
	}
	if err := waitUnlocked(ctx, dir, sup); err != nil {
		return "", err
	}
	v, err := Inspect(dir)
	if err != nil {
		return "", err
	}
	how := "stopped"
	if v.LastExit != nil {
		how = v.LastExit.Description
	}
	return how + " (asked by SIGTERM: its control socket was gone)", nil
}

// stopLeftovers runs the stop schedule on the processes of a daemon whose
// supervisor is gone: each step's signal to every one of them (by pid and
// start time, so a reused pid is never hit), then SIGCONT, and a wait.
func stopLeftovers(ctx context.Context, dir state.Dir, v *View) (string, error) {
	sched := definition.DefaultSchedule()
	if def, err := LoadDefinition(dir); err == nil {
		if s, err := def.Schedule(); err == nil {
			sched = s
		}
	}
	how := ""
	for _, step := range sched {
		ids := v.Processes()
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			id.Signal(step.Signal)
			id.Signal(syscall.SIGCONT)
		}
		deadline := time.Now().Add(step.Wait)
		for len(v.Processes()) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond) // not our children: no SIGCHLD to wait for
		}
		if len(v.Processes()) == 0 {
			how = fmt.Sprintf("gone after SIG%s (it was running without a supervisor)", proc.SignalName(step.Signal))
			break
		}
	}
	if left := v.Processes(); len(left) > 0 {
		return "", fmt.Errorf("%s: %d processes survived the stop schedule (pid %d, ...)", dir.Name, len(left), left[0].PID)
	}
	return how, markStopped(dir, v.Record, how)
}

// markStopped records, for a supervisor that can no longer do it, that the
// daemon stopped, and removes the cgroup it left.
func markStopped(dir state.Dir, rec status.Record, how string) error {
	removeGroup(rec.Cgroup)
	rec.State, rec.WantUp, rec.PID, rec.StartTime, rec.Ready = status.Stopped, false, 0, 0, false
	rec.LastExit = &status.Exit{Code: -1, Description: how, At: time.Now()}
	rec.UpdatedAt = time.Now()
	return state.WriteVolatileJSON(dir.StatusFile(), &rec, 0o600)
}

// Signal sends sig to the daemon's main process, or with all (or when it
// has no main process) to every process of the daemon. It returns the pid
// it reached (0 for all) and how many processes were signalled.
func Signal(ctx context.Context, dir state.Dir, sig syscall.Signal, all bool) (pid, n int, err error) {
	if InHost(dir) {
		if pid, n, err := hostSignal(ctx, dir, sig, all); !errors.Is(err, errElsewhere) {
			return pid, n, err
		}
	}
	v, err := Inspect(dir)
	if err != nil {
		return 0, 0, err
	}
	if v.SupervisorAlive {
		var res control.SignalResult
		err := callRunning(ctx, dir, control.Request{Op: control.OpSignal, Signal: proc.SignalName(sig), Group: all}, &res)
		if errors.Is(err, control.ErrNoServer) || errors.Is(err, ErrNotRunning) {
			return 0, 0, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
		}
		return res.PID, max(res.Processes, 1), err
	}
	if len(v.Leftovers) == 0 {
		if v.Stale {
			return 0, 0, fmt.Errorf("%s: the recorded pid %d now belongs to another process (%w); not signalling it", dir.Name, v.PID, ErrStale)
		}
		return 0, 0, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	if !all && v.MainAlive {
		return v.PID, 1, v.Main().Signal(sig)
	}
	for _, id := range v.Leftovers {
		if id.Signal(sig) == nil {
			n++
		}
	}
	return 0, n, nil
}

// LogRequest asks the supervisor to rotate (control.OpRotate) or reopen
// (control.OpReopen) the output log.
func LogRequest(ctx context.Context, dir state.Dir, op string) error {
	if InHost(dir) {
		what := "log/rotate"
		if op == control.OpReopen {
			what = "log/reopen"
		}
		if err := hostDo(ctx, dir, what, nil, nil); !errors.Is(err, errElsewhere) {
			return err
		}
	}
	err := call(ctx, dir, control.Request{Op: op}, nil)
	if errors.Is(err, control.ErrNoServer) {
		return fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	return err
}

// LoadDefinition reads the stored definition of a daemon.
func LoadDefinition(dir state.Dir) (*definition.Definition, error) {
	var def definition.Definition
	if err := state.ReadJSON(dir.DefinitionFile(), &def); err != nil {
		return nil, err
	}
	return &def, nil
}

// waitUnlocked waits until the daemon's supervisor sup has exited: its
// lock is free, or held by another supervisor (a start that came right
// after the stop). It polls: the supervisor is not our child, and it is
// already on its way out. A zero sup waits for the lock alone.
func waitUnlocked(ctx context.Context, dir state.Dir, sup proc.Identity) error {
	deadline := time.Now().Add(10 * time.Second)
	// The supervisor's exit closes its files and so frees the lock: wait
	// for that exit on a pidfd, and poll the lock only seldom meanwhile
	// (the lock may change hands without it), and often after it (the
	// kernel may be a moment late).
	poll := 2 * time.Millisecond
	var exited <-chan struct{}
	if sup.PID > 0 {
		if c, stop, err := proc.WatchExit(sup); err == nil {
			defer stop()
			exited, poll = c, 100*time.Millisecond
		}
	}
	for {
		// The lock itself, not lockHolder: a dead process's lock
		// lingers a moment, and a start must find it free.
		held, pid, err := pidfile.Holder(dir.SupervisorPIDFile(), sup.PID)
		if err != nil || !held || (sup.PID > 0 && pid != sup.PID) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: stopped, but its supervisor (pid %d) has not exited after 10s", dir.Name, pid)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			exited, poll = nil, 2*time.Millisecond
		case <-time.After(poll):
		}
	}
}
