package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/state"
)

// ErrNoSupervisor is returned by Restart when no supervisor runs for the
// daemon: the caller starts one from the stored definition instead.
var ErrNoSupervisor = errors.New("no supervisor running")

// Restart asks the daemon's running supervisor to replace its child in
// place (stop schedule, then a new child at once, whatever --restart says)
// and returns the new child's pid once it is ready. The supervisor keeps
// its --listen sockets, so connections queue instead of being refused.
func Restart(ctx context.Context, dir state.Dir) (int, error) {
	v, err := Inspect(dir)
	if err != nil {
		return 0, err
	}
	if !v.SupervisorAlive {
		return 0, fmt.Errorf("%s: %w", dir.Name, ErrNoSupervisor)
	}
	var res RestartResult
	err = call(ctx, dir, control.Request{Op: "restart"}, &res)
	if errors.Is(err, control.ErrNoServer) {
		return 0, fmt.Errorf("%s: %w", dir.Name, ErrNoSupervisor)
	}
	return res.PID, err
}
