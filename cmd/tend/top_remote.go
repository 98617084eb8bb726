package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/top"
)

// remoteHost is tend top's host at a TCP address (tend api listen),
// reached with its API alone: the event stream, the logs, /metrics for
// CPU and memory, the operations' routes.
type remoteHost struct {
	api *apiClient
	// The last sample of CPU time, for the next one's percent (Usage's
	// calls come one at a time).
	sampledAt time.Time
	cpu       map[string]float64
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

// Metrics of /metrics that Usage reads.
const (
	metricCPU       = "tend_daemon_cpu_seconds_total"
	metricMemory    = "tend_daemon_memory_bytes"
	metricProcesses = "tend_daemon_processes"
)

// Usage reads the daemons' CPU time, memory and processes on /metrics,
// which the host reads when asked (and not otherwise).
func (h *remoteHost) Usage(ctx context.Context, views []*api.View) (map[string]top.Usage, error) {
	now := time.Now()
	ms, err := h.api.daemonMetrics(ctx, metricCPU, metricMemory, metricProcesses)
	if err != nil {
		return nil, err
	}
	elapsed := now.Sub(h.sampledAt).Seconds()
	cpu := map[string]float64{}
	out := map[string]top.Usage{}
	for _, m := range ms {
		u := out[m.daemon]
		switch m.name {
		case metricCPU:
			cpu[m.daemon] = m.value
			if before, ok := h.cpu[m.daemon]; ok && m.value >= before && elapsed > 0 {
				u.CPU, u.CPUKnown = 100*(m.value-before)/elapsed, true
			}
		case metricMemory:
			u.Memory = int64(m.value)
		case metricProcesses:
			u.Procs = int(m.value)
		}
		out[m.daemon] = u
	}
	for name, u := range out {
		if u.Procs == 0 {
			delete(out, name) // nothing of it runs
		}
	}
	h.sampledAt, h.cpu = now, cpu
	return out, nil
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
