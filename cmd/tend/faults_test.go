package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Faults from the reliability campaign (RELIABILITY.md), each kept fixed.

// TestStoppedHostTimesOut: with the host stopped (SIGSTOP), tend signal
// returns within its deadline with an error that names the host and how
// to continue it, and the request, read after SIGCONT, is not carried
// out for nobody.
func TestStoppedHostTimesOut(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("paused", "sleep")
	s, _ := e.status("paused")
	host := s.SupervisorPID
	syscall.Kill(host, syscall.SIGSTOP)
	// A stop reaches a process's threads one after the other: until the
	// last has stopped, another may still serve a request.
	eventually(t, "every thread of the host stopped", func() bool { return allStopped(host) })
	start := time.Now()
	r := e.tend("signal", "paused", "USR1")
	took := time.Since(start)
	syscall.Kill(host, syscall.SIGCONT)
	if r.code == 0 || !strings.Contains(r.stderr, "stopped") || !strings.Contains(r.stderr, "kill -CONT "+strconv.Itoa(host)) || took > 15*time.Second {
		t.Fatalf("signal to a stopped host, after %v: %v", took, r)
	}
	// The host reads what was sent once continued, and refuses it (its
	// client has left, and its deadline has passed): USR1 would have
	// killed the helper.
	hostLog := filepath.Join(e.home, "host.log")
	eventually(t, "the late request refused", func() bool {
		b, _ := os.ReadFile(hostLog)
		return strings.Contains(string(b), "after its client") && strings.Contains(string(b), "not carried out")
	})
	if !alive(pid) {
		t.Errorf("the daemon got the signal its client had given up on")
	}
}

// allStopped says whether every thread of pid is stopped (state T).
func allStopped(pid int) bool {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	for _, f := range stats {
		b, err := os.ReadFile(f)
		i := bytes.LastIndexByte(b, ')')
		if err != nil || i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return len(stats) > 0
}

// TestHostSocketRemoved: a removed host socket (a cleaner of /tmp) comes
// back, and stop works meanwhile.
func TestHostSocketRemoved(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("sock", "sleep")
	socket := filepath.Join(e.home, "tend.sock")
	if err := os.Remove(socket); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the socket made again", func() bool { _, err := os.Stat(socket); return err == nil })
	if r := e.tend("signal", "sock", "CONT"); r.code != 0 {
		t.Errorf("signal through the new socket: %v", r)
	}
	// Remove it again and stop at once.
	os.Remove(socket)
	start := time.Now()
	if r := e.tend("stop", "sock"); r.code != 0 || alive(pid) || time.Since(start) > 10*time.Second {
		t.Errorf("stop without a socket, after %v: %v (alive %v)", time.Since(start), r, alive(pid))
	}
}

// TestStatusRightAfterHostDied: status right after kill -9 of the host
// says running, with the same pid: the keeper keeps the host's socket, so
// the question waits for the new host, which has taken the daemon over.
func TestStatusRightAfterHostDied(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		name := "quick" + strconv.Itoa(i)
		pid := e.mustStart(name, "sleep")
		s, _ := e.status(name)
		syscall.Kill(s.SupervisorPID, syscall.SIGKILL)
		if s, code := e.status(name); code != 0 || s.State != "running" || s.PID != pid || s.SupervisorPID == 0 {
			t.Errorf("status right after the host was killed: %d %+v", code, s)
		}
		e.tend("stop", name)
	}
}

// TestConcurrentRestarts: two restarts at once both succeed and leave one
// daemon, and a restart right after the supervisor was killed brings the
// daemon back without losing the old process.
func TestConcurrentRestarts(t *testing.T) {
	e := newEnv(t)
	e.mustStart("twice", "sleep")
	for range 5 {
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i := range results {
			wg.Go(func() { results[i] = e.tend("restart", "twice") })
		}
		wg.Wait()
		for _, r := range results {
			if r.code != 0 {
				t.Fatalf("concurrent restart: %v", r)
			}
		}
		s, code := e.status("twice")
		eventually(t, "one daemon process", func() bool {
			live := e.livePIDs()
			return len(live) == 1 && live[0] == s.PID
		})
		if code != 0 || t.Failed() {
			t.Fatalf("after concurrent restarts: %d %+v, live helpers %v", code, s, e.livePIDs())
		}
	}
	s, _ := e.status("twice")
	old := s.PID
	syscall.Kill(s.SupervisorPID, syscall.SIGKILL)
	if r := e.tend("restart", "twice"); r.code != 0 {
		t.Fatalf("restart after the supervisor was killed: %v", r)
	}
	if s, code := e.status("twice"); code != 0 || s.PID == old || alive(old) {
		t.Errorf("after the restart: %d %+v (old %d alive %v)", code, s, old, alive(old))
	}
}

// livePIDs returns the helpers noted as running that are still alive.
func (e *env) livePIDs() []int {
	var out []int
	for _, pid := range e.notedPIDs("running") {
		if alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// TestOddStateFiles: a directory in place of definition.json, or of a
// --listen socket path, gives errors that say what to do.
func TestOddStateFiles(t *testing.T) {
	e := newEnv(t)
	if r := e.start("dirsock", "sleep", "--listen", "unix:///tmp/"); r.code != 2 || !strings.Contains(r.stderr, "names a directory") {
		t.Errorf("--listen unix:///tmp/: %v", r)
	}
	if r := e.start("dirsock", "sleep", "--listen", "unix://"+t.TempDir()); r.code != 1 || !strings.Contains(r.stderr, "is a directory, not a socket") {
		t.Errorf("--listen on a directory: %v", r)
	}
	e.mustStart("odd", "sleep")
	def := filepath.Join(e.home, "odd", "definition.json")
	os.Remove(def)
	os.Mkdir(def, 0o700)
	// The supervisor runs: it restarts in place, without the file.
	if r := e.tend("restart", "odd"); r.code != 0 {
		t.Errorf("restart with a broken definition.json and a running supervisor: %v", r)
	}
	if r := e.tend("stop", "odd"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	if r := e.tend("restart", "odd"); r.code == 0 || !strings.Contains(r.stderr, "start it anew with tend start odd") {
		t.Errorf("restart from a broken definition.json: %v", r)
	}
}

// TestLockFileDamaged (issue 25.7): a FIFO in place of a daemon's lock
// file (supervisor.pid), stopped or running in the host, and garbage in
// that of an --isolated daemon while its supervisor holds it: no command
// blocks, the isolated one shows running (not lost), and restart and
// stop work on each.
func TestLockFileDamaged(t *testing.T) {
	e := newEnv(t)
	e.mustStart("stopped", "sleep")
	e.mustStart("running", "sleep")
	isolated := e.mustStart("isolated", "sleep", "--isolated")
	if r := e.tend("stop", "stopped"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	for _, name := range []string{"stopped", "running"} {
		path := filepath.Join(e.home, name, "supervisor.pid")
		os.Remove(path)
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(e.home, "isolated", "supervisor.pid"), "garbage\n")
	timed := func(args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, tendBin, args...)
		cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		began := time.Now()
		cmd.Run()
		r := result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("tend %s took %v: %v", strings.Join(args, " "), took, r)
		}
		return r
	}
	if r := timed("list"); r.code != 0 || strings.Count(r.stdout, "\n") != 4 {
		t.Errorf("list: %v", r)
	}
	if s, code := e.status("isolated"); code != 0 || s.State != "running" || s.PID != isolated || !s.SupervisorAlive {
		t.Errorf("status of the isolated daemon, its lock file garbage: %d %+v", code, s)
	}
	for _, name := range []string{"stopped", "running", "isolated"} {
		if r := timed("restart", name); r.code != 0 {
			t.Errorf("restart %s: %v", name, r)
		}
		if r := timed("stop", name); r.code != 0 || !strings.HasPrefix(r.stdout, "stopped "+name) {
			t.Errorf("stop %s: %v", name, r)
		}
	}
	if alive(isolated) {
		t.Errorf("the isolated daemon %d runs after its stop", isolated)
	}
}
