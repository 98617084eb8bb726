package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 13, items 1, 2, 4, 6 and 7: faults of the supervisor and its
// surroundings.

// tryStoppedSupervisor (13.1): with the supervisor stopped by SIGSTOP,
// signal, logs --rotate, stop and restart each return within a deadline
// (their own: 5 s for a request answered at once, the stop schedule and
// 10 s for stop, the readiness timeout and 30 s for restart, plus 3 to 5 s),
// with an error that names the supervisor's pid and that it is stopped;
// after SIGCONT none of the abandoned requests is carried out (USR1 would
// kill sleep; stop and restart would replace it).
func tryStoppedSupervisor(t *T) error {
	name := t.name("")
	s, err := t.startSleep(name, 0, "--stop-schedule", "TERM/1/KILL/1", "--ready-timeout", "5s")
	if err != nil {
		return err
	}
	sup, err := t.ours(s.Sup)
	if err != nil {
		return err
	}
	if err := signalVerified(sup, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("SIGSTOP the supervisor: %w", err)
	}
	defer signalVerified(sup, syscall.SIGCONT)
	if err := t.waitFor(2*time.Second, "the supervisor to be stopped", func() bool {
		p, _ := readStat(sup.pid)
		return p.state == 'T'
	}); err != nil {
		return err
	}
	calls := []struct {
		args  []string
		bound time.Duration
	}{
		{[]string{"signal", name, "USR1"}, 8 * time.Second},
		{[]string{"logs", "--rotate", name}, 8 * time.Second},
		// stop may wait as long as its stop schedule (2 s) and a margin
		// (10 s); restart as long as the readiness timeout (5 s) and a
		// margin (30 s).
		{[]string{"stop", name}, 20 * time.Second},
		{[]string{"restart", name}, 40 * time.Second},
	}
	rs := make([]res, len(calls))
	var fs []func()
	for i, c := range calls {
		fs = append(fs, func() { rs[i] = t.tendO(opts{timeout: 60 * time.Second}, c.args...) })
	}
	t.Step("signal, logs --rotate, stop and restart against the stopped supervisor %d", sup.pid)
	parallel(fs...)
	var p problems
	var slowest time.Duration
	for i, r := range rs {
		slowest = max(slowest, r.took)
		switch {
		case r.fail != nil:
			p.add("%v; expected an error within %s", r, calls[i].bound)
		case r.code == 0:
			p.add("%v: succeeded against a stopped supervisor", r)
		case r.took > calls[i].bound:
			p.add("%v: expected an answer within %s", r, calls[i].bound)
		case !strings.Contains(r.err, "stopped") || !strings.Contains(r.err, strconv.Itoa(sup.pid)):
			p.add("%v: the error does not say that the supervisor (pid %d) is stopped", r, sup.pid)
		}
	}
	t.measure(slowest)
	signalVerified(sup, syscall.SIGCONT)
	// The supervisor now reads the requests its clients gave up on: it
	// must refuse them all.
	t.Step("waiting for the continued supervisor")
	if err := t.waitFor(5*time.Second, "the continued supervisor to answer", func() bool {
		st, r, err := t.status(name)
		return err == nil && r.code == 0 && st.SupAlive
	}); err != nil {
		p.add("%v", err)
	}
	t.sleep(time.Second)
	st, r, err := t.status(name)
	switch {
	case err != nil:
		p.add("after SIGCONT: %v", err)
	case !alive(s.PID) || st.PID != s.PID || st.State != "running" || st.Restarts != 0:
		p.add("after SIGCONT, a request its client had given up on was carried out: the daemon was pid %d, now %v (pid %d alive: %v)", s.PID, r, s.PID, alive(s.PID))
	}
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop once continued: %v", r)
	}
	return p.err()
}

// tryControlSocketRemoved (13.2): a removed host socket ($TEND_HOME/
// tend.sock) comes back within seconds, signal works through it, and stop
// works at once without it.
func tryControlSocketRemoved(t *T) error {
	name := t.name("")
	if _, err := t.startSleep(name, 0); err != nil {
		return err
	}
	sock := filepath.Join(t.e.home, "tend.sock")
	if err := os.Remove(sock); err != nil {
		return fmt.Errorf("rm tend.sock: %w", err)
	}
	began := time.Now()
	var p problems
	if err := t.waitFor(5*time.Second, "tend.sock to be made again", func() bool { return exists(sock) }); err != nil {
		p.add("%v", err)
	} else {
		t.measure(time.Since(began))
	}
	if r := t.tend("signal", name, "CONT"); r.code != 0 {
		p.add("signal after the socket was removed: %v; expected exit 0", r)
	}
	os.Remove(sock)
	r := t.tend("stop", name)
	if r.code != 0 || r.took > 10*time.Second {
		p.add("stop with tend.sock removed: %v; expected exit 0 within 10s", r)
	}
	if left := sleeping(t.arg(0)); len(left) > 0 {
		p.add("after the stop, the daemon still runs: %v", left)
	}
	return p.err()
}

// tryStatusAfterKill (13.4, and 20.4 since the host): right after kill
// -9 of the host, status says running (exit 0) with the same pid: the
// keeper kept the host's socket, and the new host, which took the daemon
// over, answers; stop then stops it. Every other try runs without a
// cgroup.
func tryStatusAfterKill(t *T) error {
	if t.I%2 == 1 {
		t.withoutCgroup()
	}
	name := t.name("")
	s, err := t.startSleep(name, 0)
	if err != nil {
		return err
	}
	if err := t.killSupervisor(s.Sup); err != nil {
		return err
	}
	st, r, err := t.status(name)
	var p problems
	switch {
	case err != nil:
		p.add("status right after kill -9 of the host: %v", err)
	case r.code != 0 || st.State != "running" || st.Stale || st.PID != s.PID || st.Sup == s.Sup:
		p.add("status right after kill -9 of the host: %v; expected exit 0, running, pid %d, a new host", r, s.PID)
	}
	if r := t.tend("stop", name); r.code != 0 || len(sleeping(t.arg(0))) > 0 {
		p.add("stop after the host was killed: %v; the daemon: %v", r, sleeping(t.arg(0)))
	}
	return p.err()
}

// tryConcurrentRestart (13.6): two restarts at once both succeed and
// leave one daemon; a restart right after kill -9 of the supervisor
// succeeds, ends the old process and leaves one new one.
func tryConcurrentRestart(t *T) error {
	name := t.name("")
	arg := t.arg(0)
	if _, err := t.startSleep(name, 0); err != nil {
		return err
	}
	var p problems
	one := func(when string) (status, bool) {
		var st status
		err := t.waitFor(5*time.Second, "one daemon process, the one status names", func() bool {
			var err error
			st, _, err = t.status(name)
			copies := sleeping(arg)
			return err == nil && st.State == "running" && slices.Equal(copies, []int{st.PID})
		})
		if err != nil {
			p.add("%s: %v; status says %s pid %d, sleep runs as %v", when, err, st.State, st.PID, sleeping(arg))
			return st, false
		}
		return st, true
	}
	for round := range 2 {
		rs := make([]res, 2)
		parallel(func() { rs[0] = t.tend("restart", name) }, func() { rs[1] = t.tend("restart", name) })
		t.count("restarts", 2)
		for _, r := range rs {
			if r.code != 0 {
				p.add("round %d, two restarts at once: %v; expected exit 0", round+1, r)
			}
		}
		if _, ok := one(fmt.Sprintf("round %d, after two restarts at once", round+1)); !ok {
			return p.err()
		}
	}
	st, _, err := t.status(name)
	if err != nil {
		return err
	}
	if err := t.killSupervisor(st.Sup); err != nil {
		return err
	}
	r := t.tend("restart", name)
	t.count("restarts", 1)
	if r.code != 0 {
		p.add("restart right after kill -9 of the supervisor: %v; expected exit 0", r)
	}
	if alive(st.PID) {
		p.add("restart after kill -9 of the supervisor returned with the old process %d still running", st.PID)
	}
	if now, ok := one("after the restart that followed kill -9 of the supervisor"); ok && now.PID == st.PID {
		p.add("the restart kept the old process %d", st.PID)
	}
	return p.err()
}

// tryPausedChild (13.7): a stopped (SIGSTOP) daemon stops at the first
// step of the schedule, TERM, because SIGCONT follows it: not after the
// 10 s of TERM/10/KILL/5, by KILL.
func tryPausedChild(t *T) error {
	name := t.name("")
	s, err := t.startSleep(name, 0)
	if err != nil {
		return err
	}
	child, err := t.ours(s.PID)
	if err != nil {
		return err
	}
	if err := signalVerified(child, syscall.SIGSTOP); err != nil {
		return err
	}
	if err := t.waitFor(2*time.Second, "the daemon to be stopped", func() bool { p, _ := readStat(child.pid); return p.state == 'T' }); err != nil {
		return err
	}
	r := t.tend("stop", name)
	t.measure(r.took)
	if r.code != 0 || r.took > 3*time.Second || !strings.Contains(r.out, "TERM") || aliveAs(child) {
		return fmt.Errorf("stop of a paused daemon: %v; expected exit 0 within 3s, by TERM", r)
	}
	return nil
}

// tryLockFileDamage (25.7): each daemon's lock file (supervisor.pid)
// damaged: a FIFO in place of a stopped daemon's and of a running one's
// (in the host); garbage, and the pid of an unrelated live process, in
// that of a daemon run --isolated (its own supervisor holds the lock).
// Every command (list, status, stop, restart) answers within 5 s; the
// isolated daemons show running, not lost nor starting; restart starts
// the stopped one and replaces the others, stop ends each; the unrelated
// process is never signalled.
func tryLockFileDamage(t *T) error {
	innocent := exec.Command("sleep", t.arg(9))
	innocent.Env = t.e.base
	if err := innocent.Start(); err != nil {
		return err
	}
	go innocent.Wait()
	defer t.kill(innocent.Process.Pid, syscall.SIGKILL)
	ip, err := readStat(innocent.Process.Pid)
	if err != nil {
		return err
	}
	type daemon struct {
		name, damage string
		k            int
		isolated     bool
	}
	ds := []daemon{{t.name("-fifo-stopped"), "fifo", 0, false}, {t.name("-fifo-running"), "fifo", 1, false},
		{t.name("-garbage"), "garbage", 2, true}, {t.name("-other-pid"), strconv.Itoa(ip.pid), 3, true}}
	for _, d := range ds {
		var extra []string
		if d.isolated {
			extra = []string{"--isolated"}
		}
		if _, err := t.startSleep(d.name, d.k, extra...); err != nil {
			return err
		}
	}
	if r := t.tend("stop", ds[0].name); r.code != 0 {
		return fmt.Errorf("stop: %v", r)
	}
	for _, d := range ds {
		path := filepath.Join(daemonFolder(t.e.home, d.name), "supervisor.pid")
		var err error
		switch d.damage {
		case "fifo":
			os.Remove(path)
			err = syscall.Mkfifo(path, 0o644)
		default:
			err = os.WriteFile(path, []byte(d.damage+"\n"), 0o644) // in place: the lock stays held
		}
		if err != nil {
			return err
		}
	}
	var p problems
	o := opts{timeout: 20 * time.Second}
	slow := func(r res) bool {
		if r.fail != nil || r.took > 5*time.Second {
			t.count("commands blocked", 1)
			p.add("%v; expected an answer within 5 s", r)
			return true
		}
		return false
	}
	slow(t.tendO(o, "list"))
	for _, d := range ds {
		r := t.tendO(o, "status", "--json", d.name)
		if slow(r) {
			continue
		}
		var s status
		json.Unmarshal([]byte(r.out), &s)
		if d.isolated && (s.State != "running" || !slices.Equal(sleeping(t.arg(d.k)), []int{s.PID})) {
			t.count("daemons misread", 1)
			p.add("%s, its lock file holding %q while its supervisor runs: %v; expected running as %v", d.name, d.damage, r, sleeping(t.arg(d.k)))
		}
	}
	for _, d := range ds {
		r := t.tendO(o, "restart", d.name)
		if !slow(r) && (r.code != 0 || len(sleeping(t.arg(d.k))) != 1) {
			p.add("%s (lock file %s): %v; expected exit 0 and one copy, there are %v", d.name, d.damage, r, sleeping(t.arg(d.k)))
		}
		r = t.tendO(o, "stop", d.name)
		if !slow(r) && (r.code != 0 || len(sleeping(t.arg(d.k))) != 0) {
			p.add("%s (lock file %s): %v; expected exit 0 and nothing left, there are %v", d.name, d.damage, r, sleeping(t.arg(d.k)))
		}
	}
	if !aliveAs(ip) {
		p.add("the unrelated process %d, whose pid was written in a lock file, was killed", ip.pid)
	}
	return p.err()
}
