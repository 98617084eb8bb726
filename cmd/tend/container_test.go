package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// pid1 is tend running in the foreground: as the PID 1 of a new PID
// namespace, as in a container (unshare --pid --fork --mount-proc needs no
// container runtime; startPID1), or as a plain child (startForeground).
type pid1 struct {
	cmd            *exec.Cmd
	stdout, stderr testexec.Buffer
	done           chan struct{}
	code           int
}

// startPID1 runs tend with args as PID 1 of a new PID namespace.
func (e *env) startPID1(dir string, extra []string, args ...string) *pid1 {
	e.t.Helper()
	need(e.t, "unshare")
	return e.startForeground(dir, extra, append([]string{"unshare", "--pid", "--fork", "--mount-proc", tendBin}, args...)...)
}

// startForeground runs argv (tend, or tend under unshare) in dir, with
// output captured, and ends it when the test ends.
func (e *env) startForeground(dir string, extra []string, argv ...string) *pid1 {
	e.t.Helper()
	p := &pid1{done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), "TEND_HOME="+e.home), extra...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.WaitDelay = 5 * time.Second // daemons that outlive tend hold its output open
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		if !p.exited() {
			// Under unshare, the namespace dies with its PID 1, unshare's
			// child; unshare itself does not pass SIGKILL on.
			for _, c := range children(p.cmd.Process.Pid) {
				syscall.Kill(c, syscall.SIGKILL)
			}
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// tendPID returns the host pid of tend, the namespace's PID 1 (unshare's
// child), and checks that it is PID 1 there.
func (p *pid1) tendPID(t *testing.T) int {
	t.Helper()
	var pid int
	eventually(t, "unshare's child", func() bool {
		if c := children(p.cmd.Process.Pid); len(c) == 1 {
			pid = c[0]
			return true
		}
		return false
	})
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	m := regexp.MustCompile(`(?m)^NSpid:\s+\d+\s+(\d+)$`).FindStringSubmatch(string(b))
	if m == nil || m[1] != "1" {
		t.Fatalf("tend is not PID 1 in its namespace: %q", m)
	}
	return pid
}

func (p *pid1) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the namespace's end (at most max) and returns tend's
// exit status and how long it took.
func (p *pid1) wait(t *testing.T, max time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case <-p.done:
		return p.code, time.Since(start)
	case <-time.After(max):
		t.Fatalf("tend as PID 1 still runs after %v; stdout %q, stderr %q", max, p.stdout.String(), p.stderr.String())
		return 0, 0
	}
}

// inOrder says whether the lines starting with each of prefixes appear in
// s in that order.
func inOrder(s string, prefixes ...string) bool {
	last := -1
	for _, p := range prefixes {
		i := lineIndex(s, p)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

// TestContainerExample runs the example container's command (its
// Dockerfile's CMD, in its folder) as PID 1 of a new PID namespace: it
// serves, and SIGTERM (docker stop) brings the daemons down in order and
// exits 0.
func TestContainerExample(t *testing.T) {
	need(t, "python3")
	e := newEnv(t)
	src := filepath.Join("..", "..", "examples", "container")
	dockerfile, err := os.ReadFile(filepath.Join(src, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^CMD (\[.*\])$`).FindSubmatch(dockerfile)
	var cmd []string
	if m == nil || json.Unmarshal(m[1], &cmd) != nil || len(cmd) < 2 || cmd[0] != "tend" {
		t.Fatalf("the Dockerfile has no CMD [\"tend\", ...]: %q", m)
	}
	// The example as it is, but on a free loopback port.
	dir := t.TempDir()
	port, _ := strconv.Atoi(strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	for _, f := range []string{"tend.toml", "app.py"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), strings.ReplaceAll(string(b), "8000", strconv.Itoa(port)))
	}

	p := e.startPID1(dir, []string{"HOST=127.0.0.1"}, cmd[1:]...)
	tend := p.tendPID(t)
	eventually(t, "the example's web server to answer", func() bool {
		if p.exited() {
			t.Fatalf("tend exited %d; stdout %q, stderr %q", p.code, p.stdout.String(), p.stderr.String())
		}
		body, err := get(port)
		return err == nil && strings.Contains(body, "hello from a daemon tend runs")
	})
	eventually(t, "worker to start", func() bool { return strings.Contains(p.stdout.String(), "worker: started") })

	// The container's log: each daemon's output after its name, from
	// its first line.
	eventually(t, "the daemons' output on tend's stdout", func() bool {
		out := p.stdout.String()
		return regexp.MustCompile(`(?m) \S*web +\| serving on 127\.0\.0\.1:\d+$`).MatchString(out) &&
			regexp.MustCompile(`(?m) \S*web +\| 127\.0\.0\.1 "GET / HTTP/1\.1" 200`).MatchString(out) &&
			regexp.MustCompile(`(?m) \S*worker +\| worker started$`).MatchString(out)
	})
	if t.Failed() {
		t.Fatalf("tend's stdout: %q", p.stdout.String())
	}

	syscall.Kill(tend, syscall.SIGTERM) // docker stop
	code, took := p.wait(t, 20*time.Second)
	out := p.stdout.String()
	if code != 0 {
		t.Errorf("tend as PID 1 exited %d after SIGTERM; stdout %q, stderr %q", code, out, p.stderr.String())
	}
	if !inOrder(out, "worker: stopped", "web: stopped") {
		t.Errorf("not stopped in order, worker (after web) first: %q", out)
	}
	if took > 10*time.Second {
		t.Errorf("SIGTERM took %v to bring the container down", took)
	}
	for _, name := range []string{"web", "worker"} {
		if s, _ := e.status(name); s.State != "stopped" {
			t.Errorf("%s after the container stopped: %+v", name, s)
		}
	}
}

// TestContainerCriticalFailure: as PID 1, a critical daemon that fails for
// good brings the others down in order within seconds, and tend exits
// with its exit status.
func TestContainerCriticalFailure(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[db]
command = "sleep 1001"

[web]
command = "sleep 1002"
after = ["db"]

[job]
command = "echo working; sleep 0.5; echo broken >&2; exit 3"
after = ["db"]
critical = true
restart = "never"
`)
	p := e.startPID1(dir, nil, "up", "--foreground")
	p.tendPID(t)
	code, took := p.wait(t, 15*time.Second)
	out, errOut := p.stdout.String(), p.stderr.String()
	if code != 3 {
		t.Errorf("exit status %d, want job's 3; stdout %q, stderr %q", code, out, errOut)
	}
	if took > 5*time.Second {
		t.Errorf("took %v to exit after job failed", took)
	}
	if !strings.Contains(errOut, "job failed for good (exited with status 3); it is critical: bringing the others down") {
		t.Errorf("stderr does not say why: %q", errOut)
	}
	// Its last words reach the container's log before tend exits.
	if !regexp.MustCompile(`(?m) \S*job +\| working$`).MatchString(out) || !regexp.MustCompile(`(?m) \S*job +\| broken$`).MatchString(out) {
		t.Errorf("job's output is not on stdout: %q", out)
	}
	if !inOrder(out, "web: stopped", "db: stopped") {
		t.Errorf("not stopped in order, web (after db) first: %q", out)
	}
	for _, name := range []string{"db", "web"} {
		if s, _ := e.status(name); s.State != "stopped" {
			t.Errorf("%s after the critical failure: %+v (want stopped by tend, in order)", name, s)
		}
	}
}

// TestForegroundFailureProcfile: a Procfile has no critical key, so the
// failure message of its daemon names the option that applies to it.
func TestForegroundFailureProcfile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Procfile"), "db: sleep 1001\njob: sleep 0.3; exit 4\n")
	p := e.startForeground(dir, nil, tendBin, "up", "--foreground")
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wait(t, 10*time.Second)
	}()
	const want = "the others run on (tend up --exit-on-failure brings them down; a Procfile cannot mark one daemon critical, a tend.toml can)"
	eventually(t, "job's failure to be told", func() bool { return strings.Contains(p.stderr.String(), want) })
	if strings.Contains(p.stderr.String(), "critical = true") {
		t.Errorf("a Procfile's daemon is told to set critical = true: %q", p.stderr.String())
	}
}

// TestForegroundFailurePolicy: by default a daemon that fails for good
// leaves the others running, and says so; with --exit-on-failure it
// brings them down; when none is left, tend up exits.
func TestForegroundFailurePolicy(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[db]
command = "sleep 1001"

[job]
command = "sleep 0.3; exit 4"
restart = "never"
`)
	run := func(args ...string) *pid1 { return e.startForeground(dir, nil, append([]string{tendBin}, args...)...) }

	// Default: job's failure is told, db runs on; SIGTERM stops it, exit 0.
	p := run("up", "--foreground")
	eventually(t, "job's failure to be told", func() bool {
		return strings.Contains(p.stderr.String(), "job failed for good (exited with status 4); the others run on")
	})
	if s, code := e.status("db"); code != 0 || s.State != "running" {
		t.Errorf("db after job failed: %d %+v", code, s)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t, 10*time.Second); code != 0 || !strings.Contains(p.stdout.String(), "db: stopped") {
		t.Errorf("SIGTERM: exit %d, stdout %q", code, p.stdout.String())
	}

	// --exit-on-failure: job's failure brings db down; job's status.
	p = run("up", "--foreground", "--exit-on-failure")
	if code, _ := p.wait(t, 10*time.Second); code != 4 || !strings.Contains(p.stdout.String(), "db: stopped") ||
		!strings.Contains(p.stderr.String(), "--exit-on-failure: bringing the others down") {
		t.Errorf("--exit-on-failure: exit %d, stdout %q, stderr %q", code, p.stdout.String(), p.stderr.String())
	}

	// Nothing left running: tend up exits, 1 since one failed.
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[job]
command = "sleep 0.3; exit 4"
restart = "never"

[once]
command = "sleep 0.2"
restart = "never"
`)
	p = run("up", "--foreground")
	if code, _ := p.wait(t, 10*time.Second); code != 1 || !strings.Contains(p.stderr.String(), "no daemon is left running") {
		t.Errorf("with nothing left: exit %d, stderr %q", code, p.stderr.String())
	}
}
