package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Issue 12's "Why": programs that daemonize themselves, and a shell line
// that runs its program through /bin/sh -c.

// articleDaemon is the classic article's daemon, as the article writes
// it: fork, chdir, setsid, umask, fork, then a loop; it notes its pid in
// the file named by its first argument.
const articleDaemon = `import os, sys, time

note, every = sys.argv[1], float(sys.argv[2])
if os.fork() > 0:
    os._exit(0)
os.chdir("/")
os.setsid()
os.umask(0)
if os.fork() > 0:
    os._exit(0)
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
while True:
    with open(note, "a") as f:
        f.write("pid %d\n" % os.getpid())
    time.sleep(every)
`

// notedPID returns the last pid that the article's daemon noted, if it
// runs.
func notedPID(note string) int {
	lines := strings.Split(readText(note), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if s, ok := strings.CutPrefix(lines[i], "pid "); ok {
			pid, _ := strconv.Atoi(s)
			if alive(pid) {
				return pid
			}
			return 0
		}
	}
	return 0
}

// tryArticleDaemon (12): the article's daemon under tend: status follows
// the daemon proper (adopted), a second start refuses, restart replaces
// it without a second copy, stop ends it.
func tryArticleDaemon(t *T) error {
	script, err := t.file("daemon.py", articleDaemon, 0o644)
	if err != nil {
		return err
	}
	note := script + ".pids"
	name := t.name("")
	start := []string{"start", name, "--", t.e.cfg.python, script, note, "0.05"}
	if r := t.tend(start...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	var p problems
	follow := func(old int) (int, bool) {
		var d int
		var st status
		err := t.waitFor(10*time.Second, "status to follow the daemon proper", func() bool {
			d = notedPID(note)
			st, _, _ = t.status(name)
			return d > 0 && d != old && st.PID == d && st.State == "running"
		})
		if err != nil {
			p.add("%v: the daemon noted pid %d, status says %s pid %d", err, d, st.State, st.PID)
			return 0, false
		}
		if copies := withCmdline(script); !slices.Equal(copies, []int{d}) {
			p.add("copies of the daemon: %v; expected only %d", copies, d)
		}
		if st.Adopted == "" {
			p.add("status --json does not say how the main process %d was adopted", d)
		}
		return d, true
	}
	d, ok := follow(0)
	if !ok {
		return p.err()
	}
	if r := t.tend(start...); r.code != 1 || !strings.Contains(r.err, "already running") {
		p.add("second start: %v; expected exit 1, already running", r)
	}
	os.Remove(note)
	if r := t.tend("restart", name); r.code != 0 {
		p.add("restart: %v", r)
		return p.err()
	}
	if alive(d) {
		p.add("after restart, the old daemon %d still runs", d)
	}
	follow(d)
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	if copies := withCmdline(script); len(copies) > 0 {
		p.add("after stop, the daemon still runs: %v", copies)
	}
	return p.err()
}

// get fetches / from a loopback port.
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

// tryNginx (12): nginx as it ships (it daemonizes itself), on a loopback
// port, every other try with --pidfile: status follows its master,
// signal HUP reloads it (new workers), restart brings one new master
// without "Address already in use", stop leaves no nginx.
func tryNginx(t *T) error {
	dir, err := t.folder("nginx")
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	conf := filepath.Join(dir, "nginx.conf")
	pidfile := filepath.Join(dir, "nginx.pid")
	text := fmt.Sprintf(`pid %s;
error_log %s notice;
worker_processes 2;
events { worker_connections 64; }
http {
	access_log %s;
	server {
		listen 127.0.0.1:%d;
		location / { return 200 "tend campaign\n"; }
	}
}
`, pidfile, filepath.Join(dir, "error.log"), filepath.Join(dir, "access.log"), port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return err
	}
	name := t.name("")
	args := []string{"start", name}
	if t.I%2 == 1 {
		args = append(args, "--pidfile", pidfile)
		t.count("tries with --pidfile", 1)
	}
	args = append(args, "--", "nginx", "-p", dir, "-c", conf)
	if r := t.tend(args...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	var p problems
	master := func(old int) int {
		var m int
		var st status
		err := t.waitFor(10*time.Second, "status to name nginx's master", func() bool {
			m, _ = strconv.Atoi(strings.TrimSpace(readText(pidfile)))
			st, _, _ = t.status(name)
			return m > 0 && m != old && alive(m) && st.PID == m && st.State == "running"
		})
		if err != nil {
			p.add("%v: nginx.pid says %d, status says %s pid %d", err, m, st.State, st.PID)
			return 0
		}
		if st.Adopted == "" {
			p.add("status --json does not say how the master %d was adopted", m)
		}
		return m
	}
	m := master(0)
	if m == 0 {
		return p.err()
	}
	if body, err := get(port); err != nil || body != "tend campaign\n" {
		p.add("GET: %q, %v", body, err)
	}
	var workers []int
	if err := t.waitFor(5*time.Second, "two workers", func() bool { workers = children(m); return len(workers) == 2 }); err != nil {
		return fmt.Errorf("%v: %v", err, workers)
	}
	if r := t.tend("signal", name, "HUP"); r.code != 0 {
		p.add("signal HUP: %v", r)
	} else if err := t.waitFor(5*time.Second, "new workers after HUP", func() bool {
		now := children(m)
		return len(now) == 2 && !slices.Contains(now, workers[0]) && !slices.Contains(now, workers[1])
	}); err != nil {
		p.add("signal HUP reached no master: %v", err)
	}
	workers = children(m)
	if r := t.tend("restart", name); r.code != 0 {
		p.add("restart: %v", r)
		return p.err()
	}
	m2 := master(m)
	if alive(m) {
		p.add("after restart, the old master %d still runs", m)
	}
	if body, err := get(port); err != nil || body != "tend campaign\n" {
		p.add("GET after restart: %q, %v", body, err)
	}
	if err := t.waitFor(5*time.Second, "one master", func() bool { return slices.Equal(withCmdline(conf), []int{m2}) }); err != nil {
		p.add("%v: masters %v", err, withCmdline(conf))
	}
	workers = append(workers, children(m2)...)
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	if left := withCmdline(conf); len(left) > 0 {
		p.add("after stop, nginx masters run: %v", left)
	}
	for _, w := range workers {
		if alive(w) {
			p.add("after stop, worker %d runs", w)
		}
	}
	if log := readText(filepath.Join(dir, "error.log")); strings.Contains(log, "Address already in use") {
		p.add("nginx's error log says Address already in use: %s", clip(log, 600))
	}
	return p.err()
}

// tryEscapingShellLine (12): sh -c 'setsid sh -c "exec sleep N" & exit 0'
// with --restart always: tend follows the escaped sleep, makes no other
// copy while it runs, a second start refuses, restart replaces it and
// stop ends it.
func tryEscapingShellLine(t *T) error {
	name, arg := t.name(""), t.arg(0)
	line := fmt.Sprintf(`setsid sh -c "exec sleep %s" & exit 0`, arg)
	start := []string{"start", name, "--restart", "always", "--", "sh", "-c", line}
	if r := t.tend(start...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	var p problems
	follow := func(old int) int {
		var st status
		var copies []int
		err := t.waitFor(10*time.Second, "status to follow the escaped sleep", func() bool {
			copies = sleeping(arg)
			st, _, _ = t.status(name)
			return len(copies) == 1 && copies[0] != old && st.PID == copies[0] && st.State == "running"
		})
		if err != nil {
			p.add("%v: sleep runs as %v, status says %s pid %d", err, copies, st.State, st.PID)
			return 0
		}
		return copies[0]
	}
	x := follow(0)
	if x == 0 {
		return p.err()
	}
	t.sleep(time.Second)
	if copies := sleeping(arg); !slices.Equal(copies, []int{x}) {
		p.add("a second after start, with --restart always, copies of the escaped sleep: %v; expected only %d", copies, x)
	}
	if r := t.tend(start...); r.code != 1 {
		p.add("second start: %v; expected exit 1", r)
	}
	if r := t.tend("restart", name); r.code != 0 {
		p.add("restart: %v", r)
	}
	follow(x)
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	if left := sleeping(arg); len(left) > 0 {
		p.add("after stop, the escaped sleep runs: %v", left)
	}
	return p.err()
}

// tryProcfileShellLine (12): a Procfile line with shell syntax
// (python3 -m http.server ... $PORT, PORT from .env) runs the server as the main
// process: signal TERM reaches it, it frees its port, and the restart
// binds it again.
func tryProcfileShellLine(t *T) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	dir, err := t.folder("procfile")
	if err != nil {
		return err
	}
	name := t.name("")
	// As foreman does: .env beside the Procfile applies to every line;
	// $PORT makes the line shell syntax, run by /bin/sh -c.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(fmt.Sprintf("PORT=%d\n", port)), 0o644); err != nil {
		return err
	}
	line := fmt.Sprintf("%s: %s -m http.server --bind 127.0.0.1 $PORT\n", name, t.e.cfg.python)
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(line), 0o644); err != nil {
		return err
	}
	if r := t.tendO(opts{dir: dir}, "up"); r.code != 0 {
		return fmt.Errorf("up: %v", r)
	}
	var p problems
	serving := func(old int) int {
		var st status
		var gerr error
		err := t.waitFor(10*time.Second, "the server to answer", func() bool {
			st, _, _ = t.status(name)
			_, gerr = get(port)
			return gerr == nil && st.State == "running" && st.PID != old && st.PID > 0
		})
		if err != nil {
			p.add("%v: status says %s pid %d; GET: %v", err, st.State, st.PID, gerr)
			return 0
		}
		return st.PID
	}
	pid := serving(0)
	if pid == 0 {
		return p.err()
	}
	if cmd := cmdlineOf(pid); !strings.HasPrefix(cmd, t.e.cfg.python) {
		p.add("the main process %d runs `%s`; expected the server itself (%s)", pid, cmd, t.e.cfg.python)
	}
	if r := t.tend("signal", name, "TERM"); r.code != 0 {
		p.add("signal TERM: %v", r)
	}
	if err := t.waitFor(5*time.Second, "the server to die of TERM", func() bool { return !alive(pid) }); err != nil {
		p.add("%v: it runs `%s`", err, cmdlineOf(pid))
	}
	serving(pid)
	if r := t.tendO(opts{dir: dir}, "down"); r.code != 0 {
		p.add("down: %v", r)
	}
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		p.add("after down, port %d is still taken: %v", port, err)
	} else {
		ln.Close()
	}
	return p.err()
}
