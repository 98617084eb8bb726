package main

import (
	"context"
	"time"

	"github.com/tendhq/tend/internal/top"
)

// Metrics of /metrics that Usage reads.
const (
	metricCPU       = "tend_daemon_cpu_seconds_total"
	metricMemory    = "tend_daemon_memory_bytes"
	metricProcesses = "tend_daemon_processes"
)

// usageSampler reads the daemons' CPU time, memory and processes on a
// host's /metrics, which the host reads when asked (and not otherwise):
// the figures of the whole process set of each (its cgroup's, or the sum
// over its processes). Its calls come one at a time (see top.Host).
type usageSampler struct {
	api *apiClient
	// The last sample of CPU time, for the next one's percent.
	at  time.Time
	cpu map[string]float64
}

// sample returns each running daemon's figures; CPU as the percent of
// one CPU since the last sample.
func (h *usageSampler) sample(ctx context.Context) (map[string]top.Usage, error) {
	now := time.Now()
	ms, err := h.api.daemonMetrics(ctx, metricCPU, metricMemory, metricProcesses)
	if err != nil {
		return nil, err
	}
	elapsed := now.Sub(h.at).Seconds()
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
	h.at, h.cpu = now, cpu
	return out, nil
}
