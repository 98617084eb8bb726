package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// errElsewhere refuses to act on a daemon that another process
// supervises.
var errElsewhere = errors.New("supervised by another process")

// elsewhere is the error for a daemon another process supervises.
func elsewhere(v *api.View) error {
	return fmt.Errorf("%s: %w (pid %d): it runs --isolated, or was started by a tend from before the host; "+
		"tend asks that supervisor itself", v.Name, errElsewhere, v.Supervisor.PID)
}

// stop stops a daemon and says how its main process ended: through its
// supervisor, or, when no supervisor runs it but processes of it do
// (lost), by running its stop schedule on them.
func (h *Host) stop(ctx context.Context, name string) (string, error) {
	// The host's own daemon needs no view (its processes, read from
	// /proc): its supervisor stops it.
	sup := h.reg.get(name)
	var v *api.View
	if sup == nil {
		var err error
		if v, sup, err = h.view(name); err != nil {
			return "", err
		}
	}
	if sup != nil {
		gone := h.reg.gone(name, sup)
		how, err := sup.Stop(ctx)
		if err != nil {
			return "", err
		}
		select {
		case <-gone: // ended, and the name free again
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return how, nil
	}
	if v.SupervisorAlive {
		return "", elsewhere(v)
	}
	if len(v.Leftovers) == 0 {
		if v.Condition == api.Dead {
			removeGroup(v.Cgroup) // its host died, and then its processes
		}
		if v.Stale && !v.State.Final() {
			return "", fmt.Errorf("%s is %w (%w: pid %d now belongs to another process, which was left alone)",
				name, errNotRunning, errStale, v.PID)
		}
		return "", fmt.Errorf("%s: %w", name, errNotRunning)
	}
	return h.stopLeftovers(ctx, v)
}

// stopLeftovers runs the stop schedule on the processes of a daemon that
// no supervisor runs: each step's signal to every one of them (by pid
// and start time, so a reused pid is never hit), then SIGCONT, and a
// wait.
func (h *Host) stopLeftovers(ctx context.Context, v *api.View) (string, error) {
	dir, err := h.store.Existing(v.Name)
	if err != nil {
		return "", err
	}
	sched := definition.DefaultSchedule()
	var def definition.Definition
	if state.ReadJSON(dir.DefinitionFile(), &def) == nil {
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
			time.Sleep(10 * time.Millisecond) // not the keeper's children: no exit to wait for
		}
		if len(v.Processes()) == 0 {
			how = fmt.Sprintf("gone after SIG%s (it was running without a supervisor)", proc.SignalName(step.Signal))
			break
		}
	}
	if left := v.Processes(); len(left) > 0 {
		return "", fmt.Errorf("%s: %d processes survived the stop schedule (pid %d, ...)", v.Name, len(left), left[0].PID)
	}
	return how, markStopped(dir, v.Record, how)
}

// markStopped records that a daemon no supervisor ran has stopped, and
// removes the cgroup it left.
func markStopped(dir state.Dir, rec status.Record, how string) error {
	removeGroup(rec.Cgroup)
	rec.State, rec.WantUp, rec.PID, rec.StartTime, rec.Ready = status.Stopped, false, 0, 0, false
	rec.LastExit = &status.Exit{Code: -1, Description: how, At: time.Now()}
	rec.UpdatedAt = time.Now()
	return state.WriteVolatileJSON(dir.StatusFile(), &rec, 0o600)
}

// removeGroup removes the cgroup of a daemon no supervisor runs, once
// nothing runs in it.
func removeGroup(path string) {
	if path == "" {
		return
	}
	if g, err := cgroup.Open(path); err == nil {
		g.Remove()
	}
}

// restart replaces the running incarnation in place (its supervisor keeps
// its --listen sockets), or starts a daemon that does not run from its
// stored definition, after stopping what is left of it.
func (h *Host) restart(ctx context.Context, name string) (int, error) {
	v, sup, err := h.view(name)
	if err != nil {
		return 0, err
	}
	if sup != nil {
		pid, err := sup.Restart(ctx)
		if !errors.Is(err, supervisor.ErrStopped) {
			return pid, err
		}
		// It is on its way out: once it is gone, start it anew.
		select {
		case <-h.reg.gone(name, sup):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	} else if v.SupervisorAlive {
		return 0, elsewhere(v)
	}
	dir, err := h.store.Existing(name)
	if err != nil {
		return 0, err
	}
	var def definition.Definition
	if err := state.ReadJSON(dir.DefinitionFile(), &def); err != nil {
		return 0, fmt.Errorf("%s cannot be started again: its stored definition is unusable (%w); "+
			"start it anew with tend start %s [options] -- COMMAND (tend status %s shows its command)", name, err, name, name)
	}
	if _, err := h.stop(ctx, name); err != nil && !errors.Is(err, errNotRunning) {
		return 0, err
	}
	rec, err := h.start(ctx, &def)
	return rec.PID, err
}

// reload replaces the daemon without a moment down (see Supervisor.Reload).
func (h *Host) reload(ctx context.Context, name string) (int, error) {
	sup, err := h.running(name, "nothing to reload (tend restart "+name+" starts it)")
	if err != nil {
		return 0, err
	}
	return sup.Reload(ctx)
}

// scale runs n instances of a daemon that runs.
func (h *Host) scale(ctx context.Context, name string, n int) error {
	sup, err := h.running(name, fmt.Sprintf("start it with --instances %d", n))
	if err != nil {
		return err
	}
	return sup.Scale(ctx, n)
}

// signal sends sig to a daemon's main process, or all of them.
func (h *Host) signal(name string, sig syscall.Signal, all bool) (api.SignalResult, error) {
	v, sup, err := h.view(name)
	if err != nil {
		return api.SignalResult{}, err
	}
	if sup != nil {
		pid, n, err := sup.Signal(sig, all)
		if errors.Is(err, supervisor.ErrNotRunning) {
			err = fmt.Errorf("%s: %w", name, errNotRunning)
		}
		return api.SignalResult{PID: pid, Processes: max(n, 1)}, err
	}
	if v.SupervisorAlive {
		return api.SignalResult{}, elsewhere(v)
	}
	if len(v.Leftovers) == 0 {
		if v.Stale {
			return api.SignalResult{}, fmt.Errorf("%s: the recorded pid %d now belongs to another process (%w); not signalling it", name, v.PID, errStale)
		}
		return api.SignalResult{}, fmt.Errorf("%s: %w", name, errNotRunning)
	}
	if !all && v.MainAlive {
		return api.SignalResult{PID: v.PID, Processes: 1}, v.Main().Signal(sig)
	}
	n := 0
	for _, id := range v.Leftovers {
		if id.Signal(sig) == nil {
			n++
		}
	}
	return api.SignalResult{Processes: n}, nil
}

// logOp rotates or reopens a running daemon's log.
func (h *Host) logOp(name string, op func(*logcap.Log) error) error {
	sup, err := h.running(name, "")
	if err != nil {
		return err
	}
	return sup.WithLog(op)
}

// running returns the supervisor of a daemon that the host runs; hint
// says what to do when none runs.
func (h *Host) running(name, hint string) (*supervisor.Supervisor, error) {
	v, sup, err := h.view(name)
	switch {
	case err != nil:
		return nil, err
	case sup != nil:
		return sup, nil
	case v.SupervisorAlive:
		return nil, elsewhere(v)
	case hint != "":
		return nil, fmt.Errorf("%s: %w: %s", name, errNotRunning, hint)
	}
	return nil, fmt.Errorf("%s: %w", name, errNotRunning)
}

// remove forgets a daemon that does not run: its folder, record and log.
func (h *Host) remove(name string) error {
	v, _, err := h.view(name)
	if errors.Is(err, errUnknown) {
		if _, err := h.store.Existing(name); err != nil {
			return fmt.Errorf("%w: %s (see: tend list)", errUnknown, name)
		}
		// A folder without a record: a start that never got far.
		v, err = &api.View{}, nil
	}
	if err != nil {
		return err
	}
	if v.SupervisorAlive || len(v.Leftovers) > 0 {
		return fmt.Errorf("%s is running; stop it first: tend stop %s", name, name)
	}
	if err := h.reg.claim(name); err != nil {
		return err
	}
	defer h.reg.release(name, nil)
	if err := h.store.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
