package client

import (
	"context"
	"errors"
	"fmt"

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
