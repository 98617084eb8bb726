package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
)

// The operations as requests to the host: what Inspect, Stop, Restart,
// Reload, Scale, Signal and LogRequest do when daemons run in the host.

func daemonPath(dir state.Dir, op string) string {
	p := "/v1/daemons/" + url.PathEscape(dir.Name)
	if op != "" {
		p += "/" + op
	}
	return p
}

// hostView asks the host for a daemon's view, without starting a host: a
// host that does not run gives errNoHost.
func hostView(dir state.Dir) (*View, error) {
	h := hostClient(filepath.Dir(dir.Path))
	var v View
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	if err := h.call(ctx, http.MethodGet, daemonPath(dir, ""), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// hostDo sends an operation to the host, starting the host first when
// none runs.
func hostDo(ctx context.Context, dir state.Dir, op string, body, out any) error {
	h, err := DialHost(ctx, filepath.Dir(dir.Path))
	if err != nil {
		return fmt.Errorf("%s: %w", dir.Name, err)
	}
	return h.call(ctx, http.MethodPost, daemonPath(dir, op), body, out)
}

func hostStop(ctx context.Context, dir state.Dir) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, stopTimeout(dir))
		defer cancel()
	}
	var res api.StopResult
	err := hostDo(ctx, dir, "stop", nil, &res)
	return res.Description, err
}

func hostRestart(ctx context.Context, dir state.Dir) (int, error) {
	var res api.RestartResult
	err := hostDo(ctx, dir, "restart", nil, &res)
	return res.PID, err
}

func hostReload(ctx context.Context, dir state.Dir) (int, error) {
	var res api.RestartResult
	err := hostDo(ctx, dir, "reload", nil, &res)
	return res.PID, err
}

func hostScale(ctx context.Context, dir state.Dir, n int) error {
	return hostDo(ctx, dir, "scale", api.ScaleRequest{Instances: n}, nil)
}

func hostSignal(ctx context.Context, dir state.Dir, sig syscall.Signal, all bool) (int, int, error) {
	var res api.SignalResult
	err := hostDo(ctx, dir, "signal", api.SignalRequest{Signal: proc.SignalName(sig), All: all}, &res)
	return res.PID, res.Processes, err
}

// Remove has the host forget a daemon that does not run.
func Remove(ctx context.Context, dir state.Dir) error {
	h, err := DialHost(ctx, filepath.Dir(dir.Path))
	if err != nil {
		return fmt.Errorf("%s: %w", dir.Name, err)
	}
	return h.call(ctx, http.MethodDelete, daemonPath(dir, ""), nil, nil)
}
