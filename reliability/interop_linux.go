package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 13, item 10: how tend meets other tools.

// tryProcessName (13.10): the supervisor is named tend (comm), so that
// ps -C tend, pgrep -x tend and start-stop-daemon --name find it.
func tryProcessName(t *T) error {
	name := t.name("")
	s, err := t.startSleep(name, 0)
	if err != nil {
		return err
	}
	p, err := t.ours(s.Sup)
	if err != nil {
		return err
	}
	var pr problems
	if p.comm != "tend" {
		pr.add("the supervisor (pid %d, `%s`) is named %q in /proc/%d/comm: ps -C tend, pgrep -x tend and start-stop-daemon --name tend do not find it", p.pid, cmdlineOf(p.pid), p.comm, p.pid)
	}
	if _, err := exec.LookPath("pgrep"); err == nil {
		out, _ := command(t.ctx, "", "pgrep", "-x", "tend")
		if !slices.Contains(strings.Fields(out), strconv.Itoa(p.pid)) {
			pr.add("pgrep -x tend does not list the supervisor %d (it lists: %s)", p.pid, strings.Join(strings.Fields(out), " "))
		}
	}
	return pr.err()
}

// tryRunHygiene (13.10): under nohup (SIGHUP ignored) and with an
// inherited descriptor 9, tend run gives its command the default SIGHUP
// and only descriptors 0, 1 and 2.
func tryRunHygiene(t *T) error {
	extra, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer extra.Close()
	files := make([]*os.File, 7) // descriptor 3+6 = 9
	files[6] = extra
	r := t.tendO(opts{wrap: []string{"nohup"}, files: files}, "run", "--",
		"sh", "-c", `grep '^SigIgn' /proc/$$/status; printf 'open:'; for n in 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do [ -e /proc/$$/fd/$n ] && printf ' %s' $n; done; echo ' end'`)
	if r.code != 0 {
		return fmt.Errorf("%v; expected exit 0", r)
	}
	var pr problems
	m := regexp.MustCompile(`SigIgn:\s+([0-9a-f]+)`).FindStringSubmatch(r.out)
	if m == nil {
		return fmt.Errorf("%v: no SigIgn line", r)
	}
	if mask, _ := strconv.ParseUint(m[1], 16, 64); mask&(1<<(syscall.SIGHUP-1)) != 0 {
		pr.add("under nohup, tend run's command has SIGHUP ignored (SigIgn %s)", m[1])
	}
	fds := regexp.MustCompile(`open:([0-9 ]*) end`).FindStringSubmatch(r.out)
	if fds == nil || strings.TrimSpace(fds[1]) != "" {
		pr.add("%v: tend run's command has descriptors beyond 0-2 open (descriptor 9 was open in tend run's caller)", r)
	}
	return pr.err()
}

// tryRunListenName (13.10): tend run --name N --listen tcp://... (no
// NAME=) is accepted and names the socket N.
func tryRunListenName(t *T) error {
	name := t.name("")
	r := t.tend("run", "--name", name, "--listen", "tcp://127.0.0.1:0", "--",
		"sh", "-c", `echo "fds=$LISTEN_FDS names=$LISTEN_FDNAMES"`)
	if r.code != 0 || !strings.Contains(r.out, "fds=1 names="+name) {
		return fmt.Errorf("%v; expected exit 0 and fds=1 names=%s", r, name)
	}
	return nil
}

// tryExportNames (13.10): tend export systemd writes units systemd
// accepts for daemon names with + and @ (escaped, no template; verified
// by systemd-analyze where installed), a .socket with an address for a
// host name, and refuses port 0 (or writes a real port).
func tryExportNames(t *T) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	out, err := t.folder("units")
	if err != nil {
		return err
	}
	var pr problems
	for k, suffix := range []string{"+x", "@x"} {
		name := t.name(suffix)
		if _, err := t.startSleep(name, k, "--listen", fmt.Sprintf("tcp://localhost:%d", port+k)); err != nil {
			pr.add("start %s: %v", name, err)
			continue
		}
		dir := filepath.Join(out, strconv.Itoa(k))
		os.Mkdir(dir, 0o755)
		if r := t.tend("export", "systemd", "--dir", dir, name); r.code != 0 {
			pr.add("%v; expected exit 0", r)
			continue
		}
		units := names(dir)
		for _, u := range units {
			// A unit name systemd accepts: [A-Za-z0-9:_.\-] and an
			// escape for anything else, no @ (that would be a template).
			stem := strings.TrimSuffix(strings.TrimSuffix(u, ".service"), ".socket")
			if !regexp.MustCompile(`^[A-Za-z0-9:_.\\-]{1,240}$`).MatchString(stem) {
				pr.add("daemon %s exported as %s, a unit name systemd refuses (or a template, with @)", name, u)
			}
		}
		if len(units) != 2 {
			pr.add("daemon %s with --listen exported as %v; expected a .service and a .socket", name, units)
		}
		for _, u := range units {
			if regexp.MustCompile(`(?m)^ListenStream=localhost`).MatchString(readText(filepath.Join(dir, u))) {
				pr.add("%s listens on a host name, which systemd refuses: %s", u, readText(filepath.Join(dir, u)))
			}
		}
		if _, err := exec.LookPath("systemd-analyze"); err == nil && len(units) > 0 {
			args := []string{"verify", "--man=no"}
			for _, u := range units {
				args = append(args, filepath.Join(dir, u))
			}
			c := exec.CommandContext(t.ctx, "systemd-analyze", args...)
			if b, err := c.CombinedOutput(); err != nil {
				pr.add("systemd-analyze verify %s: %v: %s", strings.Join(units, " "), err, clip(string(b), 600))
			} else {
				t.count("units verified by systemd-analyze", len(units))
			}
		}
	}
	name := t.name("-port0")
	if _, err := t.startSleep(name, 2, "--listen", "tcp://127.0.0.1:0"); err != nil {
		return errors.Join(pr.err(), err)
	}
	dir := filepath.Join(out, "port0")
	os.Mkdir(dir, 0o755)
	r := t.tend("export", "systemd", "--dir", dir, name)
	for _, u := range names(dir) {
		if regexp.MustCompile(`(?m)^ListenStream=.*:0$`).MatchString(readText(filepath.Join(dir, u))) {
			pr.add("%s listens on port 0, which systemd refuses", u)
		}
	}
	if r.code == 0 && len(names(dir)) == 0 || r.code != 0 && !strings.Contains(r.err, "port 0") {
		pr.add("export of a daemon with --listen on port 0: %v; expected a refusal that says why, or a unit with a real port", r)
	}
	return pr.err()
}

// tryUpForegroundPID1 (13.10): tend up --foreground as PID 1 of a PID
// namespace (a container) says when a daemon fails for good. Every other
// try the daemon is critical (critical = true): then tend up brings the
// others down and exits by itself, non-zero, so that an orchestrator
// restarts the container; otherwise the others run on, and SIGTERM ends
// them all.
func tryUpForegroundPID1(t *T) error {
	dir, err := t.folder("pid1")
	if err != nil {
		return err
	}
	critical := t.I%2 == 1
	good, bad := t.name("-ok"), t.name("-bad")
	toml := fmt.Sprintf(`[%s]
command = ["sleep", "%s"]

[%s]
command = ["sh", "-c", "sleep 0.5; exit 3"]
restart = "on-failure"
backoff = "100ms"
start_limit = 2
start_limit_interval = "60s"
`, good, t.arg(0), bad)
	if critical {
		toml += "critical = true\n"
		t.count("tries with a critical daemon", 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "tend.toml"), []byte(toml), 0o644); err != nil {
		return err
	}
	out := filepath.Join(dir, "out")
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(t.ctx, 40*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", t.e.cfg.tend, "up", "--foreground")
	c.Dir, c.Stdout, c.Stderr = dir, f, f
	c.Env = append(slices.Clone(t.e.base), "TEND_HOME="+t.e.home)
	c.WaitDelay = 2 * time.Second
	if err := c.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	var pr problems
	output := func() string { return clip(readText(out), 600) }
	t.Step("waiting for tend up --foreground to say that %s failed", bad)
	if err := t.waitFor(15*time.Second, "tend up --foreground to say that "+bad+" failed", func() bool {
		for _, l := range strings.Split(readText(out), "\n") {
			if strings.Contains(l, bad) && strings.Contains(l, "fail") {
				return true
			}
		}
		return false
	}); err != nil {
		st, _, _ := t.status(bad)
		pr.add("%v (status of %s: %s); its output: %q", err, bad, st.State, output())
	}
	var waited error
	ended := false
	if critical {
		select {
		case waited = <-exited:
			ended = true
		case <-time.After(15 * time.Second):
			pr.add("critical %s failed for good, and tend up --foreground still runs 15s later; expected it to bring the others down and exit; output: %q", bad, output())
		}
	} else {
		t.sleep(500 * time.Millisecond)
		select {
		case waited = <-exited:
			ended = true
			pr.add("tend up --foreground exited (%v) when %s, which is not critical, failed; expected the others to run on; output: %q", waited, bad, output())
		default:
			if len(sleeping(t.arg(0))) != 1 {
				pr.add("%s does not run on after %s failed: %v", good, bad, sleeping(t.arg(0)))
			}
		}
	}
	if !ended {
		// SIGTERM to tend, PID 1 inside: unshare's only child.
		kids := children(c.Process.Pid)
		if len(kids) != 1 {
			return errors.Join(pr.err(), fmt.Errorf("unshare %d has children %v; expected tend alone", c.Process.Pid, kids))
		}
		if err := t.kill(kids[0], syscall.SIGTERM); err != nil {
			return errors.Join(pr.err(), err)
		}
		select {
		case waited = <-exited:
		case <-ctx.Done():
			return errors.Join(pr.err(), fmt.Errorf("tend up --foreground did not exit after SIGTERM; output: %q", output()))
		}
	}
	var ee *exec.ExitError
	if critical && !(errors.As(waited, &ee) && ee.ExitCode() != 0) {
		pr.add("tend up --foreground ended with %v after critical %s failed for good; expected a non-zero exit status; output: %q", waited, bad, output())
	}
	if left := sleeping(t.arg(0)); len(left) > 0 {
		pr.add("%s still runs after tend up --foreground ended: %v", good, left)
	}
	return pr.err()
}

// logrotateScript prints a line, waits for $1, prints another and sleeps.
const logrotateScript = `#!/bin/sh
echo "before rotation"
while [ ! -e "$1" ]; do sleep 0.02; done
echo "after rotation"
exec sleep "$2"
`

// tryLogrotateFiles (13.10): after logrotate's way (rename to
// output.log.1, then tend logs --reopen), tend logs reads both files.
func tryLogrotateFiles(t *T) error {
	script, err := t.file("lines.sh", logrotateScript, 0o755)
	if err != nil {
		return err
	}
	name := t.name("")
	if r := t.tend("start", name, "--", "sh", script, script+".go", t.arg(0)); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	log := filepath.Join(daemonFolder(t.e.home, name), "output.log")
	if err := t.waitFor(5*time.Second, "the first line", func() bool { return strings.Contains(readText(log), "before rotation") }); err != nil {
		return err
	}
	if err := os.Rename(log, log+".1"); err != nil {
		return err
	}
	if r := t.tend("logs", "--reopen", name); r.code != 0 {
		return fmt.Errorf("%v; expected exit 0", r)
	}
	os.WriteFile(script+".go", nil, 0o644)
	if err := t.waitFor(5*time.Second, "the second line in the new output.log", func() bool { return strings.Contains(readText(log), "after rotation") }); err != nil {
		return err
	}
	r := t.tend("logs", "-n", "all", name)
	i, j := strings.Index(r.out, "before rotation"), strings.Index(r.out, "after rotation")
	if r.code != 0 || i < 0 || j < i {
		return fmt.Errorf("%v; expected both lines, from output.log.1 and output.log, in order", r)
	}
	if r := t.tend("stop", name); r.code != 0 {
		return fmt.Errorf("stop: %v", r)
	}
	return nil
}
