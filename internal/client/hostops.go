package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
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
	err := h.call(ctx, http.MethodGet, daemonPath(dir, ""), nil, &v)
	if errors.Is(err, errHostDied) {
		// Its keeper starts a new one at once, which answers; with no
		// keeper left, there is no host (errNoHost).
		if err := h.waitUp(ctx, hostStartWait); err != nil {
			return nil, err
		}
		err = h.call(ctx, http.MethodGet, daemonPath(dir, ""), nil, &v)
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// hostDo sends an operation to the host, starting the host first when
// none runs. A host that dies during the request is replaced by its
// keeper at once, and has taken the daemons over: an operation that
// leaves the daemon as it says (stop, signal, scale, a log's rotation) is
// sent again to the new host; the others (restart, reload) are not
// repeated, and the daemon's state then answers for them (settled).
func hostDo(ctx context.Context, dir state.Dir, op string, body, out any) error {
	h, err := DialHost(ctx, filepath.Dir(dir.Path))
	if err != nil {
		return fmt.Errorf("%s: %w", dir.Name, err)
	}
	err = h.call(ctx, http.MethodPost, daemonPath(dir, op), body, out)
	if !errors.Is(err, errHostDied) {
		return err
	}
	if werr := h.waitUp(ctx, hostStartWait); werr != nil {
		return err
	}
	switch op {
	case "restart", "reload", "replace":
		return settled(ctx, h, dir, op, out)
	}
	err = h.call(ctx, http.MethodPost, daemonPath(dir, op), body, out)
	if op == "stop" && errors.Is(err, ErrNotRunning) {
		return nil // it was stopped by the host that died
	}
	return err
}

// settled answers a restart or reload whose host died during it: the
// daemon runs (the new host took over the new incarnation or the old
// one), or the error says what became of it.
func settled(ctx context.Context, h *Host, dir state.Dir, op string, out any) error {
	var v View
	if err := h.call(ctx, http.MethodGet, daemonPath(dir, ""), nil, &v); err != nil {
		return err
	}
	if v.Condition != api.Condition(status.Running) || v.PID == 0 {
		return fmt.Errorf("%s: the host went away during the %s, and the daemon is %s now (see: tend status %s)",
			dir.Name, op, v.Condition, dir.Name)
	}
	if r, ok := out.(*api.RestartResult); ok {
		r.PID = v.PID
	}
	return nil
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

// Events follows the host's event stream (see api.Event), of the daemons
// of project when not empty: a snapshot of each, then every change,
// until ctx is done or the stream ends (the channel is then closed). It
// starts the host when none runs.
func Events(ctx context.Context, root, project string) (<-chan api.Event, error) {
	h, err := DialHost(ctx, root)
	if err != nil {
		return nil, err
	}
	path := "/v1/events"
	if project != "" {
		path += "?project=" + url.QueryEscape(project)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://tend"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("the host's events: %s", resp.Status)
	}
	return api.ReadEvents(ctx, resp.Body), nil
}

// StopMany has the host stop the daemons named (or with all, every one
// that runs), all at once; it returns what became of each, with an error
// (a *HostError) for those it could not stop.
func StopMany(ctx context.Context, root string, names []string, all bool) ([]string, []string, []error, error) {
	h, err := DialHost(ctx, root)
	if err != nil {
		return nil, nil, nil, err
	}
	var out []api.StopOutcome
	if err := h.call(ctx, http.MethodPost, "/v1/stop", api.StopRequest{Names: names, All: all}, &out); err != nil {
		return nil, nil, nil, err
	}
	got, hows, errs := make([]string, len(out)), make([]string, len(out)), make([]error, len(out))
	for i, o := range out {
		got[i], hows[i] = o.Name, o.Description
		if o.Error != nil {
			errs[i] = &HostError{Body: *o.Error}
		}
	}
	return got, hows, errs, nil
}

// Replace has the host bring a running daemon to def (see
// api.ReplaceRequest), and returns its new main pid. A new version that
// did not become ready is a *HostError whose Body.Log names the log that
// says why; the old version runs.
func Replace(ctx context.Context, dir state.Dir, def *definition.Definition, reload bool) (int, error) {
	b, err := json.Marshal(def)
	if err != nil {
		return 0, err
	}
	var res api.RestartResult
	err = hostDo(ctx, dir, "replace", api.ReplaceRequest{Definition: b, Reload: reload}, &res)
	return res.PID, err
}
