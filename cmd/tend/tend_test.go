package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// env is one test's world: its own state directory.
type env struct {
	t    *testing.T
	home string
	note string
	// crashed are the processes reboot kills (see crash).
	crashed []int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, home: t.TempDir()}
	e.note = filepath.Join(e.home, "note")
	t.Cleanup(func() {
		// Stop whatever the test left running, by tend itself, and
		// the host with it.
		e.tend("stop", "--all")
		e.tend("host", "stop")
	})
	return e
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// tend runs the tend binary with args and returns what it did.
func (e *env) tend(args ...string) result {
	e.t.Helper()
	return e.tendIn("", nil, args...)
}

// tendIn runs tend in dir ("" for the test's own) with extra environment
// variables.
func (e *env) tendIn(dir string, extra []string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(tendBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "TEND_HOME="+e.home), extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("tend %v: %v", args, err)
	}
	return r
}

// helper returns the arguments of tend start/run that run the named helper.
func (e *env) helper(name string, extra ...string) []string {
	args := []string{"--env", helperEnv + "=" + name, "--env", "TEST_NOTE=" + e.note}
	args = append(args, extra...)
	return append(args, "--", testBin)
}

func (e *env) start(name, helper string, opts ...string) result {
	e.t.Helper()
	return e.tend(append([]string{"start", name}, e.helper(helper, opts...)...)...)
}

func (e *env) mustStart(name, helper string, opts ...string) int {
	e.t.Helper()
	r := e.start(name, helper, opts...)
	m := regexp.MustCompile(`started \S+ \(pid (\d+)\)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		e.t.Fatalf("start %s: %v", name, r)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

type statusOut struct {
	State         string `json:"state"`
	PID           int    `json:"pid"`
	SupervisorPID int    `json:"supervisor_pid"`
	// SupervisorAlive: a supervisor runs it, in the host or a process
	// of its own.
	SupervisorAlive bool   `json:"supervisor_alive"`
	Restarts        int    `json:"restarts"`
	Error           string `json:"error"`
	LastExit        *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"last_exit"`
	Log       string `json:"log"`
	Processes []int  `json:"processes"`
}

func (e *env) status(name string) (statusOut, int) {
	e.t.Helper()
	r := e.tend("status", "--json", name)
	var s statusOut
	if r.code != 4 {
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			e.t.Fatalf("status --json %s: %v: %v", name, err, r)
		}
	}
	return s, r.code
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("timed out waiting for %s", what)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid is a live process (zombies count as gone).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z' && s[i+2] != 'X'
}

func pgid(pid int) int {
	g, _ := syscall.Getpgid(pid)
	return g
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("web", "sleep")
	if !alive(pid) {
		t.Fatalf("pid %d not running after start", pid)
	}
	if pgid(pid) != pid {
		t.Errorf("child is not leading its own process group: pgid %d", pgid(pid))
	}
	s, code := e.status("web")
	if code != 0 || s.State != "running" || s.PID != pid {
		t.Fatalf("status: code %d %+v, want running pid %d", code, s, pid)
	}
	if r := e.tend("status", "web"); !strings.Contains(r.stdout, "web: running") || !strings.Contains(r.stdout, "pid:") {
		t.Errorf("status text: %v", r)
	}
	if r := e.tend("list"); r.code != 0 || !regexp.MustCompile(`(?m)^web\s+running\s+`+strconv.Itoa(pid)).MatchString(r.stdout) {
		t.Errorf("list: %v", r)
	}
	if r := e.tend("ls", "--json"); !strings.Contains(r.stdout, `"name": "web"`) {
		t.Errorf("ls --json: %v", r)
	}
	eventually(t, "output in the log", func() bool {
		r := e.tend("logs", "web")
		return strings.Contains(r.stdout, "stdout hello from stdout") && strings.Contains(r.stdout, "stderr hello from stderr")
	})
	if r := e.tend("logs", "web", "--stderr"); strings.Contains(r.stdout, "hello from stdout") || !strings.Contains(r.stdout, "hello from stderr") {
		t.Errorf("logs --stderr: %v", r)
	}
	if r := e.tend("signal", "web", "CONT"); r.code != 0 || !strings.Contains(r.stdout, "pid "+strconv.Itoa(pid)) {
		t.Errorf("signal: %v", r)
	}

	// restart: a new pid; the old one is gone.
	r := e.tend("restart", "web")
	m := regexp.MustCompile(`started web \(pid (\d+)\)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("restart: %v", r)
	}
	pid2, _ := strconv.Atoi(m[1])
	if pid2 == pid || alive(pid) || !alive(pid2) {
		t.Errorf("restart: old pid %d alive=%v, new pid %d alive=%v", pid, alive(pid), pid2, alive(pid2))
	}

	running, _ := e.status("web")
	r = e.tend("stop", "web")
	if r.code != 0 || !strings.Contains(r.stdout, "stopped web: killed by signal TERM") {
		t.Fatalf("stop: %v", r)
	}
	if alive(pid2) {
		t.Errorf("pid %d still alive after stop returned", pid2)
	}
	// The host that supervised it runs on, for the other daemons.
	if sup := running.SupervisorPID; sup <= 0 || !alive(sup) {
		t.Errorf("the host %d is gone after a stop of one daemon", sup)
	}
	if s, code := e.status("web"); code != 3 || s.State != "stopped" {
		t.Errorf("status after stop: code %d %+v", code, s)
	}
	if r := e.tend("stop", "web"); r.code != 0 || !strings.Contains(r.stdout, "web is not running") {
		t.Errorf("second stop: %v", r)
	}
	// restart of a stopped daemon starts it.
	if r := e.tend("restart", "web"); r.code != 0 || !strings.Contains(r.stdout, "started web") {
		t.Errorf("restart of stopped: %v", r)
	}
}

func TestUsageAndExitCodes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"status", "nope"}, 4, "no such daemon"},
		{[]string{"stop", "nope"}, 4, "no such daemon"},
		{[]string{"start", "a/b", "--", "true"}, 2, "invalid daemon name"},
		{[]string{"start", "..", "--", "true"}, 2, "invalid daemon name"},
		{[]string{"start", "-x", "--", "true"}, 2, "unknown option -x"},
		{[]string{"start"}, 2, "give a name and a command"},
		{[]string{"start", "ok", "--restart", "sometimes", "--", "true"}, 2, "--restart"},
		{[]string{"start", "ok", "--bogus", "--", "true"}, 2, "bogus"},
		{[]string{"start", "ok", "--stop-schedule", "TERM/x", "--", "true"}, 2, "schedule"},
		{[]string{"start", "ok"}, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"signal", "ok", "NOSUCHSIG"}, 2, "signal"},
	} {
		r := e.tend(tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("tend %v: %v; want exit %d mentioning %q", tc.args, r, tc.code, tc.msg)
		}
	}
	// Usage errors create nothing.
	if entries, _ := os.ReadDir(e.home); len(entries) != 0 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("usage errors left %v in the state directory", names)
	}
	// A command that cannot run: exit 1, nothing running, not marked running.
	r := e.tend("start", "missing", "--", "/nonexistent/program")
	if r.code != 1 || !strings.Contains(r.stderr, "/nonexistent/program") {
		t.Errorf("missing command: %v", r)
	}
	// A start that never ran is not kept.
	if _, code := e.status("missing"); code != 4 {
		t.Errorf("status after a start that never ran: code %d, want 4 (no such daemon)", code)
	}
	if _, err := os.Lstat(filepath.Join(e.home, "missing")); err == nil {
		t.Errorf("the folder of a start that never ran is left")
	}
	r = e.tend("start", "baddir", "--dir", "/nonexistent", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "/nonexistent") {
		t.Errorf("bad dir: %v", r)
	}
	r = e.tend("start", "baduser", "--user", "no-such-user-x", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "no-such-user-x") {
		t.Errorf("bad user: %v", r)
	}
	// Already running: exit 1 naming the pid.
	pid := e.mustStart("dup", "sleep")
	r = e.start("dup", "sleep")
	if r.code != 1 || !strings.Contains(r.stderr, "dup is already running (pid "+strconv.Itoa(pid)+")") {
		t.Errorf("second start: %v", r)
	}
	if r := e.tend("help", "start"); r.code != 0 || !strings.Contains(r.stdout, "--stop-schedule") {
		t.Errorf("help start: %v", r)
	}
	if r := e.tend("completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "-F _tend tend") {
		t.Errorf("completion bash: %v", r)
	}
	if r := e.tend("version"); r.code != 0 || !strings.HasPrefix(r.stdout, "tend ") {
		t.Errorf("version: %v", r)
	}
}

func TestRespawnAfterKill(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("r", "sleep")
	syscall.Kill(pid, syscall.SIGKILL)
	var s statusOut
	eventually(t, "a new child", func() bool {
		s, _ = e.status("r")
		return s.State == "running" && s.PID != 0 && s.PID != pid
	})
	if s.Restarts != 1 || !alive(s.PID) {
		t.Errorf("after kill -9: %+v (alive %v)", s, alive(s.PID))
	}
	if s.LastExit == nil || !strings.Contains(s.LastExit.Description, "KILL") {
		t.Errorf("last exit %+v, want killed by KILL", s.LastExit)
	}
}

// TestHostKilled: kill -9 of the host leaves its daemon running and
// writing (its pipe's read end is kept by the keeper); a new host takes
// it over at once, unasked: status says running with the same pid, a
// second start refuses, stop stops it, and nothing it wrote meanwhile is
// lost.
func TestHostKilled(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("orphan", "tick")
	s, _ := e.status("orphan")
	host := s.SupervisorPID
	syscall.Kill(host, syscall.SIGKILL)
	var code int
	eventually(t, "a new host running it", func() bool {
		s, code = e.status("orphan")
		return code == 0 && s.State == "running" && s.PID == pid && s.SupervisorPID != host && s.SupervisorPID > 0
	})
	if t.Failed() {
		t.Fatalf("last status: %d %+v (child %d alive %v)", code, s, pid, alive(pid))
	}
	if r := e.start("orphan", "sleep"); r.code != 1 || !strings.Contains(r.stderr, "already running") {
		t.Errorf("start while it runs under the new host: %v", r)
	}
	// Ticks written while no host ran are in the log, in order.
	eventually(t, "ticks after the kill", func() bool { return ticksIn(e.tend("logs", "-n", "all", "orphan").stdout) > 20 })
	r := e.tend("stop", "orphan")
	if r.code != 0 || alive(pid) {
		t.Fatalf("stop after the host died: %v (alive %v)", r, alive(pid))
	}
	checkTicks(t, e.tend("logs", "-n", "all", "orphan").stdout)
	if _, code := e.status("orphan"); code != 3 {
		t.Errorf("status after the stop: %d", code)
	}
	e.mustStart("orphan", "sleep")
}

// ticksIn counts the tick lines of a log.
func ticksIn(log string) int { return strings.Count(log, "tick ") }

// checkTicks fails unless the ticks of a log are 1, 2, 3... without a gap
// or a repeat.
func checkTicks(t *testing.T, log string) {
	t.Helper()
	want := 1
	for _, line := range strings.Split(log, "\n") {
		i := strings.Index(line, "tick ")
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(line[i+5:]))
		if err != nil || n != want {
			t.Fatalf("tick %q where tick %d was due: a line lost or repeated", line[i:], want)
		}
		want++
	}
	if want < 3 {
		t.Fatalf("only %d ticks in the log", want-1)
	}
}

func TestCrashLoopFails(t *testing.T) {
	e := newEnv(t)
	r := e.start("crash", "exit", "--env", "TEST_EXIT=3", "--restart", "always", "--backoff", "5ms",
		"--start-limit", "3", "--start-limit-interval", "10s")
	if r.code != 0 {
		// It may already have failed by the time start returns.
		t.Logf("start: %v", r)
	}
	var s statusOut
	eventually(t, "failed", func() bool {
		var code int
		s, code = e.status("crash")
		return s.State == "failed" && code == 1
	})
	if s.Restarts < 2 || s.LastExit == nil || s.LastExit.Code != 3 {
		t.Errorf("failed status: %+v", s)
	}
}

func TestStopEscalatesToKill(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("stubborn", "ignore-term", "--stop-schedule", "TERM/0.3/KILL/5")
	eventually(t, "signal disposition set", func() bool {
		b, _ := os.ReadFile(e.note)
		return strings.Contains(string(b), "ignoring")
	})
	began := time.Now()
	r := e.tend("stop", "stubborn")
	took := time.Since(began)
	if r.code != 0 || !strings.Contains(r.stdout, "KILL") || alive(pid) {
		t.Fatalf("stop: %v alive %v", r, alive(pid))
	}
	if took < 300*time.Millisecond || took > 4*time.Second {
		t.Errorf("stop took %v, want between the TERM wait (0.3s) and the KILL wait", took)
	}
}

func TestStopReachesGrandchildren(t *testing.T) {
	e := newEnv(t)
	e.mustStart("family", "grandchild")
	var gc int
	eventually(t, "grandchild pid", func() bool {
		b, _ := os.ReadFile(e.note)
		m := regexp.MustCompile(`grandchild (\d+)`).FindSubmatch(b)
		if m != nil {
			gc, _ = strconv.Atoi(string(m[1]))
		}
		return gc > 0
	})
	if !alive(gc) || pgid(gc) != gc {
		t.Fatalf("grandchild %d not running in its own process group", gc)
	}
	if r := e.tend("stop", "family"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	if alive(gc) {
		t.Errorf("grandchild %d that left the process group survived the stop", gc)
	}
}

func TestRunReapsAndExitsWithStatus(t *testing.T) {
	e := newEnv(t)
	cmd := exec.Command(tendBin, append([]string{"run", "--restart", "never"}, e.helper("orphans")...)...)
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home, "TEST_EXIT=7")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runPid := cmd.Process.Pid
	eventually(t, "orphans made", func() bool {
		b, _ := os.ReadFile(e.note)
		return strings.Contains(string(b), "orphans made")
	})
	// The orphans were reparented to tend run (a subreaper) and exit at
	// once; none may stay a zombie.
	eventually(t, "no zombie children of tend run", func() bool { return zombiesOf(runPid) == 0 })
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Errorf("tend run exit: %v, want status 7; output %s", err, out.String())
	}
}

// zombiesOf counts zombie processes whose parent is pid.
func zombiesOf(pid int) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, en := range entries {
		b, err := os.ReadFile("/proc/" + en.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || len(s) < i+4 {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(pid) {
			n++
		}
	}
	return n
}

func TestRunForwardsSignalsAndStops(t *testing.T) {
	e := newEnv(t)
	cmd := exec.Command(tendBin, append([]string{"run", "--name", "fg"}, e.helper("sleep")...)...)
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var s statusOut
	eventually(t, "fg running", func() bool {
		var code int
		s, code = e.status("fg")
		return code == 0 && s.State == "running"
	})
	if s.SupervisorPID != cmd.Process.Pid {
		t.Errorf("supervisor pid %d, want tend run's %d", s.SupervisorPID, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("tend run after SIGTERM: %v, want 143", err)
	}
	if alive(s.PID) {
		t.Errorf("child %d survived tend run", s.PID)
	}
}

// TestEnvNotOnCommandLine: --env values reach the command but not the
// supervisor's command line, which every user can read with ps.
func TestEnvNotOnCommandLine(t *testing.T) {
	e := newEnv(t)
	r := e.tend("start", "secret", "--env", "SECRET=hunter2", "--", "/bin/sh", "-c", `echo "got $SECRET"; exec sleep 600`)
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	s, _ := e.status("secret")
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.SupervisorPID) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cmdline, []byte("hunter2")) {
		t.Errorf("supervisor command line shows the secret: %q", cmdline)
	}
	eventually(t, "the command got the variable", func() bool {
		return strings.Contains(e.tend("logs", "secret").stdout, "got hunter2")
	})
}

// TestRunHandsACleanProcess: tend run started as nohup starts it (SIGHUP
// ignored) and with a descriptor leaked to it still gives its command the
// default SIGHUP and no stray descriptor; and --listen names its socket
// after --name.
func TestRunHandsACleanProcess(t *testing.T) {
	e := newEnv(t)
	leak, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	args := append([]string{"run", "--name", "clean", "--listen", "tcp://127.0.0.1:0"}, e.helper("sleep")...)
	cmd := exec.Command("nohup", append([]string{tendBin}, args...)...)
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	cmd.ExtraFiles = []*os.File{leak} // fd 3 of tend run, not close-on-exec
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	var pid int
	eventually(t, "the command", func() bool {
		if pids := e.notedPIDs("running"); len(pids) > 0 {
			pid = pids[0]
		}
		return pid > 0
	})
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigIgn:\t"); ok {
			mask, _ := strconv.ParseUint(hex, 16, 64)
			if mask&(1<<(uint(syscall.SIGHUP)-1)) != 0 {
				t.Errorf("the command ignores SIGHUP (SigIgn %s)", hex)
			}
		}
	}
	// fd 3 is the --listen socket; the leaked /dev/null is not there (the
	// helper, a Go program, opens descriptors of its own).
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		n, _ := strconv.Atoi(fd.Name())
		if n == 3 && !strings.HasPrefix(target, "socket:") || n > 2 && target == os.DevNull {
			t.Errorf("the command's fd %d is %s", n, target)
		}
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if !bytes.Contains(environ, []byte("LISTEN_FDNAMES=clean\x00")) {
		t.Errorf("LISTEN_FDNAMES is not the daemon's name")
	}
}
