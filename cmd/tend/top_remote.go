package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/top"
)

// remoteHost is tend top's host at a TCP address (tend api listen),
// reached with its API alone: the event stream, the logs, /metrics for
// CPU and memory, the operations' routes.
type remoteHost struct {
	api   *apiClient
	usage usageSampler
}

// Events follows the host's event stream. A daemon's project is its
// name's first part (shop.web), as the host's ?project= takes it; the
// API does not say whether a daemon is critical.
func (h *remoteHost) Events(ctx context.Context, project string) (<-chan top.Event, error) {
	events, err := h.api.events(ctx, project)
	if err != nil {
		return nil, err
	}
	out := make(chan top.Event, cap(events))
	go func() {
		defer close(out)
		for ev := range events {
			e := top.Event{Event: ev}
			if p, _, ok := strings.Cut(ev.Name, projectSeparator); ok {
				e.Project = p
			}
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (h *remoteHost) Logs(ctx context.Context, name string, lines int) (io.ReadCloser, error) {
	return h.api.logs(ctx, name, lines)
}

// Usage reads the daemons' figures on /metrics.
func (h *remoteHost) Usage(ctx context.Context) (map[string]top.Usage, error) {
	return h.usage.sample(ctx)
}

// Do carries out op with the operation's route.
func (h *remoteHost) Do(ctx context.Context, name string, op top.Op) (string, error) {
	switch op.Kind {
	case top.OpRestart, top.OpStart, top.OpReload:
		route := "restart"
		if op.Kind == top.OpReload {
			route = "reload"
		}
		var res api.RestartResult
		err := h.api.call(ctx, http.MethodPost, daemonRoute(name, route), nil, &res)
		return pidText(res.PID), err
	case top.OpStop:
		var res api.StopResult
		err := h.api.call(ctx, http.MethodPost, daemonRoute(name, "stop"), nil, &res)
		return res.Description, err
	case top.OpScale:
		return "", h.api.call(ctx, http.MethodPost, daemonRoute(name, "scale"), api.ScaleRequest{Instances: op.Instances}, nil)
	case top.OpSignal:
		var res api.SignalResult
		err := h.api.call(ctx, http.MethodPost, daemonRoute(name, "signal"), api.SignalRequest{Signal: op.Signal}, &res)
		if res.PID == 0 {
			return fmt.Sprintf("%d processes", res.Processes), err
		}
		return pidText(res.PID), err
	}
	return "", fmt.Errorf("unknown operation %q", op.Kind)
}
