package main

import (
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/top"
)

// cpuSampler measures the daemons' CPU and memory in /proc, as tend list
// does, but between one call and the next (a second apart, while tend
// top runs) rather than over a window of its own. Its calls come one at
// a time (see top.Host).
type cpuSampler struct {
	at  time.Time
	cpu map[int]uint64 // run time of each process at the last call, ns
}

// sample returns the figures of the daemons of views.
func (s *cpuSampler) sample(views []*api.View) map[string]top.Usage {
	now := time.Now()
	elapsed := now.Sub(s.at)
	var table *processTable // read only for a daemon whose host does not track its processes
	cpu := map[int]uint64{}
	out := map[string]top.Usage{}
	for _, v := range views {
		if len(v.Members) == 0 && v.SupervisorAlive && table == nil {
			table = scanProcesses()
		}
		var u top.Usage
		u.CPUKnown = s.cpu != nil
		for _, pid := range daemonProcesses(table, v) {
			_, rt, p := proc.ThreadsSleeping(pid)
			if p != proc.There {
				continue
			}
			cpu[pid] = rt
			u.Procs++
			if before, ok := s.cpu[pid]; ok && rt > before {
				u.CPU += 100 * float64(rt-before) / float64(elapsed)
			}
			rss, _, _ := memory(pid)
			u.Memory += rss
		}
		if u.Procs > 0 {
			out[v.Name] = u
		}
	}
	s.at, s.cpu = now, cpu
	return out
}
