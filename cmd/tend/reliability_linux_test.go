package main

// The reliability suite's tests that use Linux's own signals and mounts.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// fatalSignals are the signals whose default action ends a process.
var fatalSignals = []syscall.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS,
	unix.SIGFPE, unix.SIGKILL, unix.SIGUSR1, unix.SIGSEGV, unix.SIGUSR2, unix.SIGPIPE, unix.SIGALRM,
	unix.SIGTERM, unix.SIGSTKFLT, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM, unix.SIGPROF,
	unix.SIGIO, unix.SIGPWR, unix.SIGSYS, syscall.Signal(34), syscall.Signal(64), // RTMIN, RTMAX
}

// noCores keeps children from dumping core for the rest of the test.
func noCores(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_CORE, &old) })
}

// TestChildKilledByEverySignal kills a (non-Go) child with every fatal
// signal in turn: each exit is recorded as 128+N, named, and restarted.
func TestChildKilledByEverySignal(t *testing.T) {
	noCores(t)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	e := newEnv(t)
	r := e.tend("start", "sig", "--backoff", "1ms", "--backoff-max", "1ms", "--start-limit", "-1", "--", sleep, "1000")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	s, _ := e.status("sig")
	for i, sig := range fatalSignals {
		old := s.PID
		if err := syscall.Kill(old, sig); err != nil {
			t.Fatalf("kill %d: %v", old, err)
		}
		eventually(t, "restart after "+sig.String(), func() bool {
			s, _ = e.status("sig")
			return s.State == "running" && s.PID != old && s.PID != 0
		})
		name := proc.SignalName(sig)
		if s.LastExit == nil || s.LastExit.Code != 128+int(sig) || !strings.Contains(s.LastExit.Description, "killed by signal "+name) {
			t.Errorf("after SIG%s: last exit %+v; want code %d, killed by signal %s", name, s.LastExit, 128+int(sig), name)
		}
		if s.Restarts != i+1 {
			t.Errorf("after SIG%s: %d restarts, want %d", name, s.Restarts, i+1)
		}
		if old != 0 && alive(old) {
			t.Errorf("old child %d still alive", old)
		}
	}
	// --restart never leaves a killed child down, and says how it ended.
	r = e.tend("start", "once", "--restart", "never", "--", sleep, "1000")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	s, _ = e.status("once")
	syscall.Kill(s.PID, syscall.SIGTERM)
	var code int
	eventually(t, "exited", func() bool { s, code = e.status("once"); return s.State == "exited" })
	if code != 1 || s.LastExit == nil || s.LastExit.Code != 128+15 {
		t.Errorf("--restart never after TERM: status %d %+v", code, s)
	}
	t.Logf("figures: %d fatal signals, each recorded and restarted", len(fatalSignals))
}

// TestLogDiskFull fills the file system holding the log: status reports
// the error, the daemon keeps running, the lines are held in memory, and
// once there is room again every one of them is written.
func TestLogDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 4<<20-32<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	const lines = 20000 // about 1 MB of records: held in memory, not dropped
	logPath := filepath.Join(dir, "out.log")
	pid := e.mustStart("full", "print", "--env", "TEST_LINES="+strconv.Itoa(lines), "--log", logPath)
	var text string
	eventually(t, "status to report the full disk", func() bool {
		r := e.tend("status", "full")
		text = r.stdout
		return strings.Contains(text, "log error") && strings.Contains(text, "no space left on device")
	})
	if strings.Contains(text, "logcap:") {
		t.Errorf("status shows the log error with an internal prefix: %q", text)
	}
	eventually(t, "the child to finish printing", func() bool { b, _ := os.ReadFile(e.note); return strings.Contains(string(b), "printed") })
	if s, _ := e.status("full"); !alive(pid) || s.PID != pid {
		t.Fatalf("daemon died of a full log disk: %+v", s)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// Rotate retries at once instead of waiting for the retry timer.
	eventually(t, "the log to recover", func() bool {
		e.tend("logs", "--rotate", "full")
		r := e.tend("status", "full")
		return r.code == 0 && !strings.Contains(r.stdout, "log error")
	})
	out := e.tend("logs", "-n", strconv.Itoa(2*lines), "full").stdout
	missing := 0
	for i := 1; i <= lines; i++ {
		if !strings.Contains(out, fmt.Sprintf(" stdout line %d\n", i)) {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d lines missing from the log after recovery", missing, lines)
	}
	t.Logf("figures: log disk full: %d lines through a full disk, %d lost; status said %q", lines+lines/10, missing,
		regexp.MustCompile(`log error:.*`).FindString(text))
}
