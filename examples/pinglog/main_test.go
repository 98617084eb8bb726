//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/pidfile"

	"github.com/tendhq/tend/internal/testexec"
)

// asMainEnv, set in a child's environment, makes the test binary run as
// pinglog. It travels in the environment, not argv, so that it survives
// Detach's re-executions.
const asMainEnv = "PINGLOG_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) != "" {
		os.Exit(pinglog())
	}
	// The daemons the tests start are orphaned by their launchers; as a
	// subreaper this process inherits them and can reap them.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// Under -race every child would otherwise sleep a second at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// pinglogCommand returns a command running the test binary as pinglog in
// dir, with none of the variables that would keep it in the foreground.
func pinglogCommand(t *testing.T, ctx context.Context, dir string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "NOTIFY_SOCKET", "INVOCATION_ID", "TEND_FOREGROUND":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, asMainEnv+"=1")
	return cmd
}

// result is how a pinglog command ended.
type result struct {
	code           int
	stdout, stderr string
}

// runPinglog runs pinglog in dir to completion (for a detaching one: until
// the launcher exits).
func runPinglog(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := pinglogCommand(t, ctx, dir, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("pinglog %s: %v", strings.Join(args, " "), err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// startDaemon starts a detached pinglog with its log and pidfile in dir and
// returns the daemon's pid, read from the pidfile. Cleanup kills the daemon
// if the test has not stopped it.
func startDaemon(t *testing.T, dir string, args ...string) int {
	t.Helper()
	args = append([]string{"-log", "pinglog.log"}, args...)
	res := runPinglog(t, dir, args...)
	if res.code != 0 {
		t.Fatalf("launcher exited %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	pid, err := pidfile.Read(filepath.Join(dir, "pinglog.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.stdout, fmt.Sprintf("running as pid %d", pid)) {
		t.Errorf("launcher said %q; want it to name pid %d", res.stdout, pid)
	}
	t.Cleanup(func() {
		if isOwnChild(pid) {
			unix.Kill(pid, unix.SIGKILL)
			waitExit(t, pid)
		}
	})
	return pid
}

// isOwnChild says whether pid is a live child of this process (a daemon is
// one once its launcher has exited, since we are a subreaper).
func isOwnChild(pid int) bool {
	var ws unix.WaitStatus
	wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	return err == nil && wpid == 0
}

// waitExit reaps pid, our child, and returns how it ended.
func waitExit(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	testexec.WaitFor(t, 10*time.Second, fmt.Sprintf("pid %d to exit", pid), func() bool {
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil {
			t.Fatalf("wait4 %d: %v", pid, err)
		}
		return wpid == pid
	})
	return ws
}

// fdCount and threadCount read /proc. Each returns the smallest of a few
// readings, so that a descriptor that exists only while a probe is in flight
// (a TCP probe's socket) does not count.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	return minOf(t, func() (int, error) {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		return len(ents), err
	})
}

func threadCount(t *testing.T, pid int) int {
	t.Helper()
	return minOf(t, func() (int, error) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
				return strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return 0, errors.New("no Threads: line")
	})
}

func minOf(t *testing.T, read func() (int, error)) int {
	t.Helper()
	least := -1
	for range 5 {
		n, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return least
}

// processesIn returns the pids of processes whose command line mentions dir.
func processesIn(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}
