package main

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// What tend reads of processes in /proc, for the start's watch (settled),
// and for the CPU and memory columns of list and status. Everything here
// degrades to "unknown" where /proc says nothing (another OS, hidepid).

// procInfo is one process as /proc/PID/stat shows it.
type procInfo struct {
	pid, ppid int
	state     byte   // R, S, D, T, Z...
	start     uint64 // start time, in clock ticks since boot
	ticks     uint64 // utime + stime, in clock ticks, all threads
}

// readProc reads /proc/PID/stat.
func readProc(pid int) (procInfo, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	return parseStat(pid, b)
}

// parseStat parses a /proc/PID/stat line: the fields after the command
// name, which is in parentheses and may hold anything.
func parseStat(pid int, b []byte) (procInfo, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procInfo{}, false
	}
	f := bytes.Fields(b[i+2:])
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 20 {
		return procInfo{}, false
	}
	num := func(field int) uint64 {
		n, _ := strconv.ParseUint(string(f[field-3]), 10, 64)
		return n
	}
	return procInfo{pid: pid, ppid: int(num(4)), state: f[0][0], ticks: num(14) + num(15), start: num(22)}, true
}

// processTable is every process of the system at one moment.
type processTable struct {
	at       time.Time
	procs    map[int]procInfo
	children map[int][]int
}

// scanProcesses reads /proc/*/stat.
func scanProcesses() *processTable {
	t := &processTable{at: time.Now(), procs: map[int]procInfo{}, children: map[int][]int{}}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return t
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			t.procs[pid] = p
			t.children[p.ppid] = append(t.children[p.ppid], pid)
		}
	}
	return t
}

// descendants returns pid's descendants (not pid itself).
func (t *processTable) descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range t.children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// memory returns pid's resident set size and, where readable, its
// proportional set size (its share of pages it shares), in bytes.
func memory(pid int) (rss, pss int64, pssOK bool) {
	base := "/proc/" + strconv.Itoa(pid)
	if b, err := os.ReadFile(base + "/statm"); err == nil {
		if f := bytes.Fields(b); len(f) > 1 {
			n, _ := strconv.ParseInt(string(f[1]), 10, 64)
			rss = n * int64(os.Getpagesize())
		}
	}
	if b, err := os.ReadFile(base + "/smaps_rollup"); err == nil {
		for line := range bytes.Lines(b) {
			if v, ok := bytes.CutPrefix(line, []byte("Pss:")); ok {
				f := bytes.Fields(v)
				if len(f) > 0 {
					n, _ := strconv.ParseInt(string(f[0]), 10, 64)
					return rss, n * 1024, true
				}
			}
		}
	}
	return rss, 0, false
}

// clockTick is the unit of /proc/PID/stat's times: USER_HZ, 100 on every
// Linux that matters.
const clockTick = 10 * time.Millisecond
