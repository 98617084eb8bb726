package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// pinfo is what /proc/PID/stat says of a process.
type pinfo struct {
	pid, ppid int
	state     byte
	start     uint64 // in clock ticks since boot: with pid, the process's identity
	comm      string
}

// readStat reads /proc/PID/stat.
func readStat(pid int) (pinfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return pinfo{}, err
	}
	return parseStat(pid, b)
}

func parseStat(pid int, b []byte) (pinfo, error) {
	// The command name is in parentheses and may hold anything: the
	// fields start after the last ')'.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return pinfo{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 20 {
		return pinfo{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	p := pinfo{pid: pid, state: f[0][0], comm: string(b[open+1 : end])}
	p.ppid, _ = strconv.Atoi(f[1])
	var err error
	p.start, err = strconv.ParseUint(f[19], 10, 64)
	return p, err
}

// allProcesses lists every process of the system.
func allProcesses() []pinfo {
	ents, _ := os.ReadDir("/proc")
	var out []pinfo
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readStat(pid); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie is dead).
func alive(pid int) bool {
	p, err := readStat(pid)
	return err == nil && p.state != 'Z' && p.state != 'X'
}

// aliveAs reports whether the process p still runs, the same one.
func aliveAs(p pinfo) bool {
	q, err := readStat(p.pid)
	return err == nil && q.start == p.start && q.state != 'Z' && q.state != 'X'
}

// withCmdline returns the live processes whose command line (words
// separated by NUL, each followed by one) contains s.
func withCmdline(s string) []int {
	var out []int
	for _, p := range allProcesses() {
		if p.pid == os.Getpid() || p.state == 'Z' || p.state == 'X' {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, p.pid)
		}
	}
	return out
}

// cmdlineOf returns pid's command line, words separated by spaces.
func cmdlineOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// errNotSame: the pid now names another process.
var errNotSame = errors.New("the pid now names another process")

// signalVerified sends sig to the process p, through a pidfd opened after
// checking that the pid still names p (same start time): a reused pid is
// never hit.
func signalVerified(p pinfo, sig syscall.Signal) error {
	fd, err := unix.PidfdOpen(p.pid, 0)
	if err != nil {
		return fmt.Errorf("pid %d: %w", p.pid, err)
	}
	defer unix.Close(fd)
	q, err := readStat(p.pid)
	if err != nil || q.start != p.start {
		return fmt.Errorf("pid %d: %w", p.pid, errNotSame)
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
