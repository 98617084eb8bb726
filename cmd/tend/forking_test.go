package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests run programs nobody here wrote, as they ship: a Python
// daemon written the way the classic article writes one, nginx, a shell
// line that escapes into a new session. Each daemonizes itself, and tend
// must follow it: find it, signal it, stop it, never start a second copy.

// need returns the path of program, and skips the test when it is not
// installed, unless CI is set: CI installs it (.ci/run), and a missing
// peer there is a failure.
func need(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs it", program)
		}
		t.Skipf("%s is not installed", program)
	}
	return path
}

// processesWith returns the live processes whose command line contains
// marker: the copies of a daemon, whoever started them.
func processesWith(marker string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), marker) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// statusPID returns the pid that tend status --json names, and its state.
func (e *env) statusPID(name string) (int, string) {
	s, _ := e.status(name)
	return s.PID, s.State
}

// TestArticleDaemon runs the classic article's daemon (fork, chdir,
// setsid, umask, fork, loop) under tend: status names the daemon proper,
// stop ends it, restart replaces it without a second copy.
func TestArticleDaemon(t *testing.T) {
	python := need(t, "python3")
	e := newEnv(t)
	script, err := filepath.Abs("testdata/article_daemon.py")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(e.home, "ping.log")
	loggedPID := func() int {
		var pid int
		eventually(t, "the daemon's pid in its log", func() bool {
			b, _ := os.ReadFile(log)
			lines := strings.Split(string(b), "\n")
			for i := len(lines) - 1; i >= 0; i-- {
				if n, ok := strings.CutPrefix(lines[i], "pid "); ok {
					pid, _ = strconv.Atoi(n)
					return alive(pid)
				}
			}
			return false
		})
		return pid
	}
	if r := e.tend("start", "ping", "--", python, script, log, "0.05"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	daemon := loggedPID()
	eventually(t, "status to follow the daemon", func() bool {
		pid, state := e.statusPID("ping")
		return pid == daemon && state == "running"
	})
	if copies := processesWith(script); len(copies) != 1 {
		t.Fatalf("copies of the daemon: %v", copies)
	}
	if r := e.tend("status", "ping"); r.code != 0 || !strings.Contains(r.stdout, "adopted") {
		t.Errorf("status: %v", r)
	}
	// A second start finds it running.
	if r := e.tend("start", "ping", "--", python, script, log, "0.05"); r.code != 1 || !strings.Contains(r.stderr, "already running") {
		t.Errorf("second start: %v", r)
	}
	os.Remove(log)
	if r := e.tend("restart", "ping"); r.code != 0 {
		t.Fatalf("restart: %v", r)
	}
	next := loggedPID()
	if alive(daemon) || next == daemon {
		t.Errorf("restart: the old daemon %d alive %v, the new one %d", daemon, alive(daemon), next)
	}
	eventually(t, "status to follow the new daemon", func() bool { pid, _ := e.statusPID("ping"); return pid == next })
	if copies := processesWith(script); len(copies) != 1 {
		t.Errorf("copies of the daemon after restart: %v", copies)
	}
	if r := e.tend("stop", "ping"); r.code != 0 || !strings.Contains(r.stdout, "stopped ping") {
		t.Fatalf("stop: %v", r)
	}
	if copies := processesWith(script); len(copies) != 0 {
		t.Errorf("left after stop: %v", copies)
	}
}

// nginxConf writes an nginx configuration like the one Debian ships, but
// listening on a free loopback port and keeping its files in dir. nginx
// daemonizes itself (daemon on, master_process on: the defaults).
func nginxConf(t *testing.T, dir string) (conf string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	conf = filepath.Join(dir, "nginx.conf")
	text := fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log notice;
worker_processes 2;
events { worker_connections 64; }
http {
	access_log %[1]s/logs/access.log;
	server {
		listen 127.0.0.1:%[2]d;
		location / { return 200 "hello from nginx\n"; }
	}
}
`, dir, port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf, port
}

// get fetches / from the loopback port.
func get(port int) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// children returns the pids of pid's children.
func children(pid int) []int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestNginx runs nginx as it ships, with and without --pidfile: tend
// follows its master process, signals reach it (HUP reloads: new
// workers), restart brings a new master only once the old one is gone
// (no "Address already in use"), and stop leaves no nginx behind.
func TestNginx(t *testing.T) {
	nginx := need(t, "nginx")
	if os.Geteuid() != 0 {
		t.Skip("nginx's master process needs root to switch its workers to another user")
	}
	for _, withPIDFile := range []bool{false, true} {
		t.Run(fmt.Sprint("pidfile=", withPIDFile), func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			conf, port := nginxConf(t, dir)
			args := []string{"start", "web"}
			if withPIDFile {
				args = append(args, "--pidfile", filepath.Join(dir, "nginx.pid"), "--reload-signal", "HUP")
			}
			args = append(args, "--", nginx, "-p", dir, "-c", conf)
			if r := e.tend(args...); r.code != 0 {
				t.Fatalf("start: %v", r)
			}
			master := func() int {
				var pid int
				eventually(t, "nginx's pidfile to name the master that status names", func() bool {
					b, _ := os.ReadFile(filepath.Join(dir, "nginx.pid"))
					pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
					got, state := e.statusPID("web")
					return pid > 0 && got == pid && state == "running"
				})
				return pid
			}
			m := master()
			if body, err := get(port); err != nil || body != "hello from nginx\n" {
				t.Fatalf("GET: %q, %v", body, err)
			}
			want := "adopted: the only process left"
			if withPIDFile {
				want = "adopted: pidfile " + filepath.Join(dir, "nginx.pid")
			}
			if r := e.tend("status", "web"); r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("status: %v; want %q", r, want)
			}
			var workers []int
			eventually(t, "two workers", func() bool { workers = children(m); return len(workers) == 2 })
			// nginx reloads on SIGHUP: tend signal, or tend reload with
			// --reload-signal HUP.
			reload := []string{"signal", "web", "HUP"}
			if withPIDFile {
				reload = []string{"reload", "web"}
			}
			if r := e.tend(reload...); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("pid %d", m)) {
				t.Fatalf("%v: %v", reload, r)
			}
			eventually(t, "new workers after the reload", func() bool {
				now := children(m)
				return len(now) == 2 && !slices.Contains(now, workers[0]) && !slices.Contains(now, workers[1])
			})
			if r := e.tend("restart", "web"); r.code != 0 {
				t.Fatalf("restart: %v", r)
			}
			m2 := master()
			if m2 == m || alive(m) {
				t.Errorf("restart: old master %d (alive %v), new %d", m, alive(m), m2)
			}
			if body, err := get(port); err != nil || body != "hello from nginx\n" {
				t.Errorf("GET after restart: %q, %v", body, err)
			}
			// Workers rename themselves ("nginx: worker process") once
			// forked: count masters by the configuration on their
			// command line.
			eventually(t, fmt.Sprintf("only master %d", m2), func() bool { return slices.Equal(processesWith(conf), []int{m2}) })
			eventually(t, "two workers", func() bool { workers = children(m2); return len(workers) == 2 })
			if r := e.tend("stop", "web"); r.code != 0 {
				t.Fatalf("stop: %v", r)
			}
			if masters := processesWith(conf); len(masters) != 0 {
				t.Errorf("left after stop: %v", masters)
			}
			for _, w := range workers {
				if alive(w) {
					t.Errorf("worker %d left after stop", w)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log")); strings.Contains(string(b), "Address already in use") {
				t.Errorf("nginx's error log:\n%s", b)
			}
		})
	}
}

// TestEscapingShellLine: `sh -c 'setsid sh -c "exec sleep N" & exit 0'`
// leaves a process in a new session and exits 0. tend follows it, a
// second start refuses, stop ends it, and with --restart always nothing
// is left behind either.
func TestEscapingShellLine(t *testing.T) {
	for _, restart := range []string{"on-failure", "always"} {
		t.Run(restart, func(t *testing.T) {
			e := newEnv(t)
			marker := fmt.Sprintf("%d.%d", os.Getpid(), time.Now().UnixNano()%1e9)
			line := fmt.Sprintf(`setsid sh -c "exec sleep %s" & exit 0`, marker)
			if r := e.tend("start", "esc", "--restart", restart, "--", "sh", "-c", line); r.code != 0 {
				t.Fatalf("start: %v", r)
			}
			var sleeper int
			eventually(t, "the escaped process to be followed", func() bool {
				copies := processesWith("sleep\x00" + marker)
				if len(copies) != 1 {
					return false
				}
				sleeper = copies[0]
				pid, state := e.statusPID("esc")
				return pid == sleeper && state == "running"
			})
			if r := e.tend("start", "esc", "--", "sh", "-c", line); r.code != 1 {
				t.Errorf("second start: %v", r)
			}
			if r := e.tend("stop", "esc"); r.code != 0 || alive(sleeper) {
				t.Fatalf("stop: %v (alive %v)", r, alive(sleeper))
			}
			if copies := processesWith("sleep\x00" + marker); len(copies) != 0 {
				t.Errorf("left after stop: %v", copies)
			}
		})
	}
}
