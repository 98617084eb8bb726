package main

import (
	"fmt"
	"os"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/proc"
)

// CPU and memory of daemons, as pm2 list shows them, read from /proc by
// the command that shows them: the supervisor keeps no such figures.

// usageWindow is how long list and status measure the CPU used.
const usageWindow = 100 * time.Millisecond

// usage is what a daemon's processes use.
type usage struct {
	known bool    // false where /proc says nothing (another OS, not running)
	procs int     // how many processes
	cpu   float64 // percent of one CPU over the window
	rss   int64   // bytes
	pss   int64   // bytes, when pssOK
	pssOK bool
}

// daemonProcesses returns the processes of the daemon: those the host's
// supervisor tracks, or the descendants of its own supervisor process
// (which is their subreaper: whatever they fork stays below it), or what
// runs of it without a supervisor.
func daemonProcesses(t *processTable, v *client.View) []int {
	if len(v.Members) > 0 {
		return v.Members // as the host's supervisor tracks them
	}
	if v.SupervisorAlive {
		return t.descendants(v.Supervisor.PID)
	}
	var out []int
	for _, id := range v.Leftovers {
		out = append(out, id.PID)
	}
	return out
}

// measureUsage measures the daemons' CPU over usageWindow (sleeping once
// for all of them) and their memory.
func measureUsage(views []*client.View) []usage {
	out := make([]usage, len(views))
	t := scanProcesses()
	procs := make([][]int, len(views))
	before := map[int]uint64{}
	any := false
	for i, v := range views {
		procs[i] = daemonProcesses(t, v)
		for _, pid := range procs[i] {
			if _, rt, p := proc.ThreadsSleeping(pid); p == proc.There {
				before[pid] = rt
				any = true
			}
		}
	}
	if !any {
		return out
	}
	start := time.Now()
	time.Sleep(usageWindow)
	elapsed := time.Since(start)
	for i := range views {
		u := &out[i]
		for _, pid := range procs[i] {
			b, ok := before[pid]
			_, rt, p := proc.ThreadsSleeping(pid)
			if !ok || p != proc.There {
				continue
			}
			u.known = true
			u.procs++
			if rt > b {
				u.cpu += 100 * float64(rt-b) / float64(elapsed)
			}
			rss, pss, pssOK := memory(pid)
			u.rss += rss
			u.pss += pss
			u.pssOK = pssOK && (u.pssOK || u.procs == 1)
		}
	}
	return out
}

// cpuText, memText and pssText format a usage for a table.
func (u usage) cpuText() string {
	switch {
	case !u.known:
		return "-"
	case u.cpu < 0.05:
		return "0%"
	case u.cpu < 10:
		return fmt.Sprintf("%.1f%%", u.cpu)
	}
	return fmt.Sprintf("%.0f%%", u.cpu)
}

func (u usage) memText() string {
	if !u.known {
		return "-"
	}
	return humanBytes(u.rss)
}

func (u usage) pssText() string {
	if !u.known || !u.pssOK {
		return "-"
	}
	return humanBytes(u.pss)
}

// colors says whether output to f may be colored: f is a terminal,
// NO_COLOR (no-color.org) is unset or empty, and TERM is not dumb.
func colors(f *os.File) bool {
	return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(f)
}
