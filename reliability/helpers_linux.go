package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startSleep starts `sleep ARG` as daemon name (with options extra) and
// checks that tend says it runs, as that very process.
func (t *T) startSleep(name string, k int, extra ...string) (status, error) {
	args := append([]string{"start", name}, extra...)
	args = append(args, "--", "sleep", t.arg(k))
	if r := t.tend(args...); r.fail != nil || r.code != 0 {
		return status{}, fmt.Errorf("start: %v; expected exit 0", r)
	}
	// tend start returns once the command was executed: through a shell
	// shim (--listen) or tend itself (--limit), that is a moment before
	// the pid runs sleep.
	var s status
	var copies []int
	err := t.waitFor(3*time.Second, "the daemon's pid to run sleep", func() bool {
		var err error
		s, _, err = t.status(name)
		copies = sleeping(t.arg(k))
		return err == nil && s.State == "running" && s.PID > 0 && slices.Equal(copies, []int{s.PID})
	})
	if err != nil {
		return s, fmt.Errorf("after start, status says %s, pid %d (`%s`), while sleep %s runs as %v", s.State, s.PID, cmdlineOf(s.PID), t.arg(k), copies)
	}
	return s, nil
}

// ours returns what /proc says of pid, a process of this experiment.
func (t *T) ours(pid int) (pinfo, error) {
	p, err := readStat(pid)
	if err != nil {
		return p, fmt.Errorf("pid %d: %w", pid, err)
	}
	if !t.e.ours(p) {
		return p, fmt.Errorf("pid %d (%s) is not a process of this experiment", pid, p.comm)
	}
	return p, nil
}

// killSupervisor kills the supervisor of s with SIGKILL and waits until
// it is gone.
func (t *T) killSupervisor(pid int) error {
	p, err := t.ours(pid)
	if err != nil {
		return fmt.Errorf("the supervisor: %w", err)
	}
	if err := signalVerified(p, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 the supervisor: %w", err)
	}
	return t.waitFor(5*time.Second, fmt.Sprintf("supervisor %d to die", pid), func() bool { return !aliveAs(p) })
}

// parallel runs the functions at once and waits for them all.
func parallel(fs ...func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	wg.Wait()
}

// problems collects what failed in a try.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

// freePort returns a loopback TCP port that was free a moment ago. It is
// chosen at random below the kernel's ephemeral range (ip_local_port_range,
// from 32768 by default), so that no outgoing connection of a concurrent
// experiment can take it between this check and its use, as a port the
// kernel handed out for ":0" could be.
func freePort() (int, error) {
	lo, hi := 20000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var first, last int
		if n, _ := fmt.Sscan(string(b), &first, &last); n == 2 && first > lo+1000 {
			hi = first
		}
	}
	for range 100 {
		port := lo + rand.IntN(hi-lo)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free loopback port in %d-%d after 100 tries", lo, hi-1)
}

// daemonFolder is the folder of daemon name in home.
func daemonFolder(home, name string) string { return filepath.Join(home, name) }

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// readText returns a file's content, or "".
func readText(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// children returns the live children of pid.
func children(pid int) []int {
	var out []int
	for _, p := range allProcesses() {
		if p.ppid == pid && p.state != 'Z' && p.state != 'X' {
			out = append(out, p.pid)
		}
	}
	slices.Sort(out)
	return out
}
