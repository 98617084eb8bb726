package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
)

// Children returns the pids of pid's direct children, in ascending order,
// including zombies not yet reaped. It reads /proc/PID/task/*/children (each
// thread lists the children it forked) and falls back to scanning every
// /proc/N/stat where the kernel lacks CONFIG_PROC_CHILDREN. It returns an
// error wrapping ErrNotFound when pid does not exist.
func Children(pid int) ([]int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("proc: children of %d: %w", pid, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("proc: children of %d: %w", pid, err)
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(dir + "/" + t.Name() + "/stat"); serr == nil {
				return scanChildren(pid) // the kernel has no children files
			}
			continue // the thread exited meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("proc: children of %d: %w", pid, err)
		}
		for _, f := range bytes.Fields(b) {
			if c, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// scanChildren finds pid's children by reading the parent field of every
// process's stat: slow, but it needs nothing optional from the kernel.
func scanChildren(pid int) ([]int, error) {
	out, err := scan(func(s stat) bool { return s.PPID == pid })
	if err != nil {
		return nil, fmt.Errorf("proc: children of %d: %w", pid, err)
	}
	return out, nil
}

// GroupMembers returns the pids of the members of process group pgid, in
// ascending order, by reading every /proc/N/stat. Like Descendants, the
// result is a snapshot of a moving system.
func GroupMembers(pgid int) ([]int, error) {
	out, err := scan(func(s stat) bool { return s.PGID == pgid })
	if err != nil {
		return nil, fmt.Errorf("proc: members of group %d: %w", pgid, err)
	}
	return out, nil
}

// scan returns, in ascending order, the pids of the processes whose stat
// satisfies match.
func scan(match func(stat) bool) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := readStat(n); err == nil && match(s) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}
