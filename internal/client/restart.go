package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/state"
)

// Restart replaces the daemon's running incarnation and returns the new
// main process's pid once it is ready. While its supervisor runs, the
// supervisor does it in place (stop schedule, then a new incarnation at
// once, whatever --restart says), keeping its --listen sockets, so that
// connections queue instead of being refused. Otherwise (a stopped,
// failed, lost or dead daemon) whatever is left is stopped and a new
// supervisor is started from the stored definition, with the environment
// it was first started with (env files are read again).
func Restart(ctx context.Context, dir state.Dir) (int, error) {
	if InHost(dir) {
		if pid, err := hostRestart(ctx, dir); !errors.Is(err, errElsewhere) {
			return pid, err
		}
	}
	v, err := Inspect(dir)
	if err != nil && !errors.Is(err, ErrUnknown) {
		return 0, err
	}
	if err == nil && v.SupervisorAlive {
		var res control.RestartResult
		err := callRunning(ctx, dir, control.Request{Op: control.OpRestart}, &res)
		switch {
		case err == nil:
			return res.PID, nil
		case !broken(err) && !errors.Is(err, errStopping):
			return 0, err
		}
		// The supervisor is on its way out (stopping, or its daemon
		// ended): once it has let go of the name, start a new one.
		if werr := waitUnlocked(ctx, dir, v.Supervisor); werr != nil {
			return 0, werr
		}
	}
	def, err := LoadDefinition(dir)
	if err != nil {
		return 0, fmt.Errorf("%s cannot be started again: its stored definition is unusable (%w); "+
			"start it anew with tend start %s [options] -- COMMAND (tend status %s shows its command)", dir.Name, err, dir.Name, dir.Name)
	}
	if _, err := Stop(ctx, dir); err != nil && !errors.Is(err, ErrNotRunning) {
		return 0, err
	}
	return Start(ctx, dir, def)
}

// Reload replaces the daemon without a moment down: its supervisor starts
// a new incarnation beside the running one (each instance in turn), waits
// until it is ready, then stops the old one; a new incarnation that fails
// leaves the old one serving, and the error says why (wrapping
// ErrReloadFailed). It returns the new main pid. A daemon whose supervisor
// is gone cannot be reloaded: restart it.
func Reload(ctx context.Context, dir state.Dir) (int, error) {
	if InHost(dir) {
		if pid, err := hostReload(ctx, dir); !errors.Is(err, errElsewhere) {
			return pid, err
		}
	}
	v, err := Inspect(dir)
	if err != nil {
		return 0, err
	}
	if !v.SupervisorAlive {
		return 0, fmt.Errorf("%s: %w: nothing to reload (tend restart %s starts it)", dir.Name, ErrNotRunning, dir.Name)
	}
	var res control.RestartResult
	err = callRunning(ctx, dir, control.Request{Op: control.OpReload}, &res)
	if errors.Is(err, errStopping) {
		return 0, fmt.Errorf("%s is stopping or has ended: nothing to reload", dir.Name)
	}
	return res.PID, err
}

// Scale has the daemon's supervisor run n instances, and returns once the
// new ones are ready, or the ones above n gone.
func Scale(ctx context.Context, dir state.Dir, n int) error {
	if InHost(dir) {
		if err := hostScale(ctx, dir, n); !errors.Is(err, errElsewhere) {
			return err
		}
	}
	v, err := Inspect(dir)
	if err != nil {
		return err
	}
	if !v.SupervisorAlive {
		return fmt.Errorf("%s: %w: start it with --instances %d", dir.Name, ErrNotRunning, n)
	}
	return callRunning(ctx, dir, control.Request{Op: control.OpScale, Args: map[string]string{"instances": strconv.Itoa(n)}}, nil)
}
