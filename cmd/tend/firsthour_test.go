package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tendhq/tend/internal/testexec"
)

// The first hour of a pm2, foreman or supervisord user: what they type,
// and what tend answers (issue 14).

// tendPTY runs tend on a pseudo-terminal, as from a shell, writing input to
// it once it asks ([y/N]), and returns what it printed and its exit status.
func (e *env) tendPTY(dir string, extra []string, input string, args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.Command(tendBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "TEND_HOME="+e.home, "TERM=xterm"), extra...)
	f, err := pty.Start(cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	out := new(testexec.Buffer)
	done := make(chan struct{})
	go func() { io.Copy(out, f); close(done) }() // EIO once tend is gone
	exited := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(exited) }()
	if input != "" {
		// Answer the question once it is asked, as a user does; a tend
		// that exits without asking gets no answer.
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
	ask:
		for {
			select {
			case <-exited:
				break ask
			case <-tick.C:
				if strings.Contains(out.String(), "[y/N]") {
					f.Write([]byte(input))
					break ask
				}
			}
		}
	}
	<-exited
	err = werr
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return out.String(), code
}

func TestCommandLine(t *testing.T) {
	e := newEnv(t)
	e.mustStart("web", "print", "--env", "TEST_LINES=3")
	eventually(t, "its lines", func() bool { return strings.Contains(e.tend("logs", "web").stdout, "line 3") })
	for _, tc := range []struct {
		args    []string
		code    int
		out     string // in stdout
		lineCnt int    // stdout lines, if not 0
	}{
		{[]string{"status", "web", "--json"}, 0, `"state": "running"`, 0},
		{[]string{"logs", "web", "-n", "1"}, 0, "err 0", 0},
		{[]string{"logs", "-n2", "web", "--stdout"}, 0, "line 3", 2},
		{[]string{"logs", "web", "-n1"}, 0, "", 1},
		{[]string{"logs", "--lines=2", "web"}, 0, "", 2},
		{[]string{"start", "--help"}, 0, "--stop-schedule SCHEDULE", 0},
		{[]string{"status", "--help"}, 0, "--json", 0},
		{[]string{"help", "status"}, 0, "--json", 0},
		{[]string{"logs", "-h"}, 0, "-f, --follow", 0},
		{[]string{"help", "toml"}, 0, "stop_schedule", 0},
		{[]string{"status"}, 0, "web   running", 0}, // every daemon, as supervisorctl status
	} {
		r := e.tend(tc.args...)
		if tc.out == "err 0" {
			tc.out = "line 3"
		}
		lines := strings.Count(r.stdout, "\n")
		if r.code != tc.code || !strings.Contains(r.stdout, tc.out) || tc.lineCnt > 0 && lines != tc.lineCnt {
			t.Errorf("tend %q: %v; want exit %d, %q in stdout, %d lines", tc.args, r, tc.code, tc.out, tc.lineCnt)
		}
	}
	// Mistakes: exit 2, a message that says what was meant or what the
	// value looks like, and nothing created.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"strat", "x"}, "did you mean start?"},
		{[]string{"stauts"}, "did you mean status?"},
		{[]string{"start", "x", "--restrat", "always", "--", "true"}, "unknown option --restrat; did you mean --restart?"},
		{[]string{"status", "--jsn", "web"}, "did you mean --json?"},
		{[]string{"start", "x", "--backoff", "10x", "--", "true"}, "want seconds (10, 2.5) or a number with a unit, such as 500ms, 10s or 1m30s"},
		{[]string{"start", "x", "--backoff", "-5s", "--", "true"}, "is not a duration"},
		{[]string{"start", "x", "--log-max-size", "10X", "--", "true"}, "such as 10M, 512K or 1048576"},
		{[]string{"start", "x", "--log-max-size", "-5", "--", "true"}, "is not a size"},
		{[]string{"start", "x", "--start-limit", "-2", "--", "true"}, "or -1 for no limit"},
		{[]string{"start", "x", "--stop-schedule", "", "--", "true"}, "--stop-schedule: empty value: give SCHEDULE, or leave the option out for the default"},
		{[]string{"start", "x", "--stop-schedule=", "--", "true"}, "empty value"},
		{[]string{"start", "x", "--dir"}, "--dir needs a value"},
		{[]string{"logs", "web", "-n", "x"}, "want a number of lines"},
		{[]string{"start", "x"}, "no command given"},
	} {
		r := e.tend(tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("tend %q: %v; want exit 2 with %q", tc.args, r, tc.msg)
		}
	}
	if _, err := os.Lstat(filepath.Join(e.home, "x")); err == nil {
		t.Errorf("a refused command line left a folder behind")
	}
	// stop all, as supervisorctl and pm2 say it.
	if r := e.tend("stop", "all"); r.code != 0 || !strings.Contains(r.stdout, "stopped web") {
		t.Errorf("stop all: %v", r)
	}
	// Units are read: stored as 10 s and 10 MiB.
	r := e.tend("start", "units", "--backoff", "10", "--log-max-size", "10M", "--stop-schedule", "INT/2.5/KILL/1", "--", "sleep", "60")
	if r.code != 0 {
		t.Fatalf("start with units: %v", r)
	}
	var def struct {
		Backoff    int64  `json:"backoff_initial"`
		LogMaxSize int64  `json:"log_max_size"`
		Dir        string `json:"dir"`
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "units", "definition.json"))
	json.Unmarshal(b, &def)
	if def.Backoff != int64(10*time.Second) || def.LogMaxSize != 10<<20 {
		t.Errorf("stored definition: %s", b)
	}
}

// TestStartInTheCurrentFolder: a relative script runs from the folder tend
// start is run in, recorded absolute; --dir / stays possible.
func TestStartInTheCurrentFolder(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "worker.sh"), "echo started in $(pwd)\nexec sleep 600\n")
	r := e.tendIn(dir, nil, "start", "worker", "--", "sh", "worker.sh")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	s, _ := e.status("worker")
	if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(s.PID) + "/cwd"); cwd != dir {
		t.Errorf("the command runs in %q, want %q", cwd, dir)
	}
	if r := e.tend("status", "worker"); !strings.Contains(r.stdout, "dir:        "+dir) {
		t.Errorf("status does not show the folder: %v", r)
	}
	r = e.tendIn(dir, nil, "start", "root", "--dir", "/", "--", "sleep", "600")
	s, _ = e.status("root")
	if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(s.PID) + "/cwd"); r.code != 0 || cwd != "/" {
		t.Errorf("--dir /: %v, cwd %q", r, cwd)
	}
}

// TestCrashAtStart: a command that exits during its start is not reported
// started; status says how it ended and what it wrote to stderr.
func TestCrashAtStart(t *testing.T) {
	e := newEnv(t)
	r := e.tend("start", "crashy", "--", "sh", "-c", "echo 'Error: cannot find module ./db' >&2; exit 3")
	if r.code != 1 || !strings.Contains(r.stderr, "Error: cannot find module ./db") ||
		!strings.Contains(r.stderr, "crashy exited with status 3 during its start") || !strings.Contains(r.stderr, "tend gave up on it") {
		t.Errorf("start of a command that crashes: %v", r)
	}
	s, code := e.status("crashy")
	if code != 1 || s.State != "failed" || s.LastExit == nil || s.LastExit.Code != 3 {
		t.Errorf("status: %d %+v", code, s)
	}
	if r := e.tend("status", "crashy"); !strings.Contains(r.stdout, "last lines of stderr:\n    Error: cannot find module ./db") ||
		!strings.Contains(r.stdout, "last exit: exited with status 3") {
		t.Errorf("status text: %v", r)
	}
	if r := e.tend("list"); !regexp.MustCompile(`(?m)^crashy\s+failed\s+-\s+-\s+\d+\s+status 3`).MatchString(r.stdout) {
		t.Errorf("list: %v", r)
	}
	// --restart never: the first crash is the verdict.
	r = e.tend("start", "once", "--restart", "never", "--", "sh", "-c", "exit 4")
	if r.code != 1 || !strings.Contains(r.stderr, "once exited with status 4 during its start; it is not restarted (--restart never)") {
		t.Errorf("start --restart never of a crash: %v", r)
	}
	// One that works returns at once: it settles as soon as it sleeps,
	// long before the watch's second is over (compared with a start that
	// does not watch, so that the machine's load does not matter).
	for i := range 3 {
		began := time.Now()
		r := e.tend("start", "fine"+strconv.Itoa(i), "--", "sleep", "600")
		watched := time.Since(began)
		began = time.Now()
		r2 := e.tend("start", "exec"+strconv.Itoa(i), "--ready", "exec", "--", "sleep", "600")
		if r.code != 0 || r2.code != 0 || watched > time.Since(began)+500*time.Millisecond {
			t.Errorf("start of sleep took %v, %v with --ready exec: %v %v", watched, time.Since(began), r, r2)
		}
	}
	// A crash it gets over: started, and said so.
	flag := filepath.Join(t.TempDir(), "flag")
	r = e.tend("start", "flaky", "--", "sh", "-c", "if [ -e "+flag+" ]; then exec sleep 600; fi; touch "+flag+"; exit 1")
	if r.code != 0 || !strings.Contains(r.stdout, "crashed once during its start (exited with status 1) and was restarted") {
		t.Errorf("start of a command that crashes once: %v", r)
	}
}

// TestRm: tend rm forgets stopped daemons, asks on a terminal, and never
// touches a running one.
func TestRm(t *testing.T) {
	e := newEnv(t)
	e.mustStart("a", "sleep")
	if r := e.tend("rm", "a", "--force"); r.code != 1 || !strings.Contains(r.stderr, "a is running: stop it first (tend stop a)") {
		t.Errorf("rm of a running daemon: %v", r)
	}
	e.tend("stop", "a")
	if r := e.tend("rm", "a"); r.code != 2 || !strings.Contains(r.stderr, "add --force") {
		t.Errorf("rm without a terminal or --force: %v", r)
	}
	if out, code := e.tendPTY("", nil, "n\n", "delete", "a"); code != 1 || !strings.Contains(out, "forget a, with its status and log? [y/N]") {
		t.Errorf("rm answered no: exit %d, %q", code, out)
	}
	if _, code := e.status("a"); code != 3 {
		t.Errorf("status after a refused rm: %d", code)
	}
	if out, code := e.tendPTY("", nil, "y\n", "rm", "a"); code != 0 || !strings.Contains(out, "removed a") {
		t.Errorf("rm answered yes: exit %d, %q", code, out)
	}
	if _, code := e.status("a"); code != 4 {
		t.Errorf("status after rm: %d, want 4", code)
	}
	if _, err := os.Lstat(filepath.Join(e.home, "a")); err == nil {
		t.Errorf("folder left after rm")
	}
}

// TestListShowsUsage: list and status show CPU and memory, from /proc,
// and list colors the states on a terminal only, unless NO_COLOR.
func TestListShowsUsage(t *testing.T) {
	e := newEnv(t)
	if r := e.tend("start", "busy", "--", "sh", "-c", "while :; do :; done"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	e.mustStart("idle", "sleep")
	r := e.tend("list")
	if !strings.Contains(r.stdout, "LAST EXIT  CPU") || !regexp.MustCompile(`(?m)^busy\s+running\s+\d+\s+\S+\s+0\s+-\s+([\d.]+)%\s+\S+`).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("list: %v", r)
	}
	// A busy loop uses a CPU, or what a loaded machine leaves of one (at
	// a load of 18 on 2 CPUs, a tenth of one).
	m := regexp.MustCompile(`(?m)^busy\s+running\s+\d+\s+\S+\s+0\s+-\s+([\d.]+)%`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("busy's line: %v", r)
	}
	if cpu, _ := strconv.ParseFloat(m[1], 64); cpu < 3 {
		t.Errorf("busy's CPU: %v", r)
	}
	var list []struct {
		Name string   `json:"name"`
		CPU  *float64 `json:"cpu_percent"`
		RSS  int64    `json:"rss_bytes"`
	}
	if err := json.Unmarshal([]byte(e.tend("list", "--json").stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("list --json: %v %+v", err, list)
	}
	for _, d := range list {
		if d.CPU == nil || d.RSS <= 0 || d.Name == "busy" && *d.CPU < 3 {
			t.Errorf("list --json: %+v", d)
		}
	}
	if r := e.tend("status", "idle"); !regexp.MustCompile(`cpu:\s+0%`).MatchString(r.stdout) || !strings.Contains(r.stdout, "resident") {
		t.Errorf("status: %v", r)
	}
	out, _ := e.tendPTY("", nil, "", "list")
	if !strings.Contains(out, ansiGreen+"running"+ansiReset) {
		t.Errorf("list on a terminal has no color: %q", out)
	}
	if out, _ := e.tendPTY("", []string{"NO_COLOR=1"}, "", "list"); strings.Contains(out, "\x1b[") {
		t.Errorf("list with NO_COLOR: %q", out)
	}
}

// TestLogsOfSeveral: lines of several daemons, interleaved in time order,
// after their names; -f follows a daemon that starts later.
func TestLogsOfSeveral(t *testing.T) {
	e := newEnv(t)
	// Each line waits for its turn (a file the test makes), so that their
	// order in time is known whatever the machine's load.
	dir := t.TempDir()
	wait := func(n int) string {
		return fmt.Sprintf("while [ ! -e %s/%d ]; do sleep 0.01; done; ", dir, n)
	}
	one := wait(1) + "echo a1; " + wait(3) + "echo a2; " + wait(5) + "echo a3; exec sleep 600"
	two := wait(2) + "echo b1; " + wait(4) + "echo b2 >&2; exec sleep 600"
	for name, script := range map[string]string{"one": one, "two": two} {
		if r := e.tend("start", name, "--ready", "exec", "--", "sh", "-c", script); r.code != 0 {
			t.Fatalf("start %s: %v", name, r)
		}
	}
	for i, line := range []string{"one:a1", "two:b1", "one:a2", "two:b2", "one:a3"} {
		name, text, _ := strings.Cut(line, ":")
		writeFile(t, filepath.Join(dir, strconv.Itoa(i+1)), "")
		eventually(t, line, func() bool { return strings.Contains(e.tend("logs", name).stdout, text) })
	}
	for _, args := range [][]string{{"logs"}, {"logs", "one", "two"}} {
		r := e.tend(args...)
		want := regexp.MustCompile(`(?s)\d\d:\d\d:\d\d one \| a1\n.*two \| b1\n.*one \| a2\n.*two \| b2\n.*one \| a3\n`)
		if r.code != 0 || !want.MatchString(r.stdout) {
			t.Errorf("tend %q: %v", args, r)
		}
	}
	// Follow all: a daemon that starts later shows up.
	cmd := exec.Command(tendBin, "logs", "-f")
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	var out testexec.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	eventually(t, "the first lines", func() bool { return strings.Contains(out.String(), "a3") })
	e.tend("start", "three", "--", "sh", "-c", "echo c1 from the new one; exec sleep 600")
	eventually(t, "the new daemon's line", func() bool { return strings.Contains(out.String(), "three | c1 from the new one") })
}

// TestTTY: --tty gives the program terminals for stdout and stderr, whose
// lines are still captured apart; the main process is the program.
func TestTTY(t *testing.T) {
	e := newEnv(t)
	r := e.tend("start", "t", "--tty", "--", "sh", "-c", `[ -t 1 ] && echo "stdout is a tty"; [ -t 2 ] && echo "stderr too" >&2; exec sleep 600`)
	if r.code != 0 {
		t.Fatalf("start --tty: %v", r)
	}
	eventually(t, "the lines", func() bool {
		out := e.tend("logs", "t").stdout
		return strings.Contains(out, "stdout stdout is a tty") && strings.Contains(out, "stderr stderr too")
	})
	s, _ := e.status("t")
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(s.PID) + "/cmdline"); !strings.HasPrefix(string(b), "sleep\x00600") {
		t.Errorf("main process %d runs %q, want the program", s.PID, b)
	}
	if r := e.tend("status", "t"); !strings.Contains(r.stdout, `command:    sh -c '[ -t 1 ] && echo "stdout is a tty"; [ -t 2 ] && echo "stderr too" >&2; exec sleep 600' (on a tty)`) {
		t.Errorf("status: %v", r)
	}
	if r := e.tend("export", "systemd", "t"); r.code != 0 || strings.Contains(r.stdout, ttyExecCommand) || !strings.Contains(r.stdout, "--tty") {
		t.Errorf("export of a --tty daemon: %v", r)
	}
	if r := e.tend("stop", "t"); r.code != 0 {
		t.Errorf("stop: %v", r)
	}
}

// TestShownShellQuoted: commands read back as they were given.
func TestShownShellQuoted(t *testing.T) {
	e := newEnv(t)
	if r := e.tend("start", "q", "--", "sh", "-c", "exec sleep 600", "", "a b", "it's"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	want := `sh -c 'exec sleep 600' '' 'a b' 'it'\''s'`
	if r := e.tend("status", "q"); !strings.Contains(r.stdout, "command:    "+want+"\n") {
		t.Errorf("status: %v", r)
	}
	if r := e.tend("list"); !strings.Contains(r.stdout, want) {
		t.Errorf("list: %v", r)
	}
}

// TestErrorsSayWhatToDo: no internal package names, and what to do.
func TestErrorsSayWhatToDo(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, "")
	for _, tc := range []struct {
		extra []string
		args  []string
		msg   string
	}{
		{nil, []string{"status", "nope"}, "no such daemon: nope (see: tend list)"},
		{nil, []string{"start", "a/b", "--", "true"}, "invalid daemon name"},
		{[]string{"TEND_HOME=" + file}, []string{"list"}, "is not a directory"},
		{nil, []string{"signal", "nope", "HUP"}, "no such daemon"},
		{nil, []string{"up", "-f", "/nonexistent/tend.toml"}, "/nonexistent/tend.toml"},
	} {
		r := e.tendIn("", tc.extra, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.msg) || regexp.MustCompile(`\b(state|proc|supervise|flag|config|client|usage): `).MatchString(r.stderr) {
			t.Errorf("tend %q: %v; want %q and no internal package name", tc.args, r, tc.msg)
		}
	}
}

// TestRunSaysRestarts: tend run says why it restarts its command.
func TestRunSaysRestarts(t *testing.T) {
	e := newEnv(t)
	r := e.tend("run", "--", "sh", "-c", "exit 7")
	if r.code != 7 || !strings.Contains(r.stderr, "tend: the command exited with status 7; restart") ||
		!strings.Contains(r.stderr, "tend: the command failed: start limit hit") {
		t.Errorf("run of a command that exits 7: %v", r)
	}
}

// TestPythonBuffering: tend says why Python's lines do not show.
func TestPythonBuffering(t *testing.T) {
	python := need(t, "python3")
	e := newEnv(t)
	r := e.tendIn("", []string{"PYTHONUNBUFFERED="}, "start", "py", "--", python, "-c", "import time\nprint('hi')\ntime.sleep(600)")
	if r.code != 0 || !strings.Contains(r.stderr, "Python holds back its output") || !strings.Contains(r.stderr, "--env PYTHONUNBUFFERED=1") {
		t.Errorf("start of python: %v", r)
	}
	r = e.tendIn("", []string{"PYTHONUNBUFFERED="}, "start", "pytty", "--tty", "--", python, "-c", "import time\nprint('hi from a tty')\ntime.sleep(600)")
	if r.code != 0 || strings.Contains(r.stderr, "holds back") {
		t.Errorf("start of python --tty: %v", r)
	}
	eventually(t, "its line at once", func() bool { return strings.Contains(e.tend("logs", "pytty").stdout, "hi from a tty") })
}
