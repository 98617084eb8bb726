package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Issue 13, items 5 and 8: concurrent tend up, and big or odd input.

// concurrentUps is how many tend up run at once in a round.
const concurrentUps = 6

// tryConcurrentUp (13.5): six tend up of one Procfile at once all exit 0,
// each daemon is started once and otherwise unchanged, never restarted;
// a second round finds all unchanged; down stops them all.
func tryConcurrentUp(t *T) error {
	dir, err := t.folder("up")
	if err != nil {
		return err
	}
	var procfile strings.Builder
	var daemons []string
	for k := range 3 {
		n := t.name(fmt.Sprintf("-%c", 'a'+k))
		daemons = append(daemons, n)
		fmt.Fprintf(&procfile, "%s: sleep %s\n", n, t.arg(k))
	}
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile.String()), 0o644); err != nil {
		return err
	}
	var p problems
	for round := range 2 {
		rs := make([]res, concurrentUps)
		var fs []func()
		for i := range rs {
			fs = append(fs, func() { rs[i] = t.tendO(opts{dir: dir, timeout: 60 * time.Second}, "up") })
		}
		t.Step("%d tend up at once, round %d", concurrentUps, round+1)
		parallel(fs...)
		t.count("tend up runs", len(rs))
		started := map[string]int{}
		for _, r := range rs {
			bad := r.code != 0
			for _, n := range daemons {
				switch {
				case strings.Contains(r.out, n+": started"):
					started[n]++
				case strings.Contains(r.out, n+": unchanged"):
				default:
					bad = true
				}
			}
			if bad {
				t.count("tend up runs that failed", 1)
				p.add("round %d, %d tend up at once: %v; expected exit 0, each daemon started or unchanged", round+1, concurrentUps, r)
			}
		}
		for _, n := range daemons {
			if want := 1 - round; started[n] != want {
				p.add("round %d: %s said started by %d runs, expected %d", round+1, n, started[n], want)
			}
		}
		for k, n := range daemons {
			st, _, err := t.status(n)
			if copies := sleeping(t.arg(k)); err != nil || st.State != "running" || !slices.Equal(copies, []int{st.PID}) {
				p.add("round %d: %s: status %s pid %d (%v), while its sleep runs as %v; expected one copy, running", round+1, n, st.State, st.PID, err, copies)
			}
		}
		if len(p) > 0 {
			break
		}
	}
	if r := t.tendO(opts{dir: dir}, "down"); r.code != 0 {
		p.add("down: %v", r)
	}
	for k := range daemons {
		if left := sleeping(t.arg(k)); len(left) > 0 {
			p.add("after down, sleep %s still runs: %v", t.arg(k), left)
		}
	}
	return p.err()
}

// tryBigEnv (13.8): two 66,000-byte --env values (132 KB, within the
// 512 KiB a definition may hold) reach the daemon; or the start is refused
// with exit 2 and leaves nothing.
func tryBigEnv(t *T) error {
	name := t.name("")
	a, b := strings.Repeat("a", 66000), strings.Repeat("b", 66000)
	r := t.tend("start", name, "--env", "BIG_A="+a, "--env", "BIG_B="+b, "--", "sleep", t.arg(0))
	switch r.code {
	case 0:
		st, _, err := t.status(name)
		if err != nil {
			return err
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", st.PID))
		env = append([]byte{0}, env...)
		if !bytes.Contains(env, []byte("\x00BIG_A="+a+"\x00")) || !bytes.Contains(env, []byte("\x00BIG_B="+b+"\x00")) {
			return fmt.Errorf("started, but the daemon (pid %d) lacks the two 66,000-byte variables in its environment", st.PID)
		}
		if r := t.tend("stop", name); r.code != 0 {
			return fmt.Errorf("stop: %v", r)
		}
		t.count("started with both values", 1)
		return nil
	case 2:
		if exists(daemonFolder(t.e.home, name)) || len(sleeping(t.arg(0))) > 0 {
			return fmt.Errorf("%v: refused, but left its folder or a process behind", r)
		}
		t.count("refused with exit 2", 1)
		return nil
	}
	return fmt.Errorf("%v; expected it started (132 KB is within the 512 KiB promised) or exit 2 with nothing left", r)
}

// tryProcfileNUL (13.8): a NUL byte in a Procfile's second line makes tend
// up exit 2 and start nothing.
func tryProcfileNUL(t *T) error {
	dir, err := t.folder("nul")
	if err != nil {
		return err
	}
	var daemons []string
	var text strings.Builder
	for k := range 3 {
		n := t.name(fmt.Sprintf("-%c", 'a'+k))
		daemons = append(daemons, n)
		arg := t.arg(k)
		if k == 1 {
			arg = arg[:3] + "\x00" + arg[3:]
		}
		fmt.Fprintf(&text, "%s: sleep %s\n", n, arg)
	}
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte(text.String()), 0o644)
	r := t.tendO(opts{dir: dir}, "up")
	var p problems
	if r.code != 2 {
		p.add("%v; expected exit 2 (a usage error) and nothing started", r)
	}
	for k, n := range daemons {
		if exists(daemonFolder(t.e.home, n)) || len(sleeping(t.arg(k))) > 0 {
			p.add("%s was started or got a folder although the Procfile was refused", n)
		}
	}
	return p.err()
}

// tryFIFOEnvFile (13.8): a FIFO as --env-file is refused at once, and
// the name stays free.
func tryFIFOEnvFile(t *T) error {
	fifo := filepath.Join(t.e.dir, fmt.Sprintf("%d-fifo", t.I))
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return err
	}
	name := t.name("")
	r := t.tendO(opts{timeout: 15 * time.Second}, "start", name, "--env-file", fifo, "--", "sleep", t.arg(0))
	t.measure(r.took)
	var p problems
	if r.fail != nil || r.code == 0 || r.took > 5*time.Second {
		p.add("%v; expected a refusal within 5s", r)
	}
	if left := sleeping(t.arg(0)); len(left) > 0 {
		p.add("the daemon runs after its start was refused: %v", left)
	}
	if _, err := t.startSleep(name, 1); err != nil {
		p.add("the name is not free after the refused start: %v", err)
	}
	return p.err()
}

// tryBadOptions (13.8): negative --backoff, --start-limit and
// --log-max-size, and an empty --stop-schedule, are usage errors (exit 2)
// that leave nothing.
func tryBadOptions(t *T) error {
	cases := [][]string{
		{"--backoff", "-1s"},
		{"--start-limit", "-2"},
		{"--log-max-size", "-2"},
		{"--stop-schedule", ""},
	}
	var p problems
	for k, c := range cases {
		name := t.name(fmt.Sprintf("-%d", k))
		r := t.tend(append(append([]string{"start", name}, c...), "--", "sleep", t.arg(k))...)
		ok := r.code == 2 && !exists(daemonFolder(t.e.home, name)) && len(sleeping(t.arg(k))) == 0
		if !ok {
			p.add("%v; expected exit 2 and nothing left (folder: %v, running: %v)", r, exists(daemonFolder(t.e.home, name)), sleeping(t.arg(k)))
			t.tend("stop", name)
		} else {
			t.count("refused", 1)
		}
	}
	return p.err()
}

// tryListenDir (13.8): --listen unix:///DIR/ and --listen on a directory
// are refused with a message about the directory, not "address already
// in use", and nothing runs.
func tryListenDir(t *T) error {
	dir, err := t.folder("sockdir")
	if err != nil {
		return err
	}
	var p problems
	for k, addr := range []string{"unix://" + dir + "/", "unix://" + dir} {
		name := t.name(fmt.Sprintf("-%d", k))
		r := t.tend("start", name, "--listen", addr, "--", "sleep", t.arg(k))
		if r.code == 0 || !strings.Contains(r.err, "director") || strings.Contains(r.err, "already in use") {
			p.add("%v; expected a refusal that says the path is a directory", r)
		}
		if k == 0 && r.code != 2 {
			p.add("%v; expected exit 2 for a socket path ending in /", r)
		}
		if left := sleeping(t.arg(k)); len(left) > 0 {
			p.add("the daemon runs: %v", left)
		}
	}
	return p.err()
}

// tryOddStateFiles (13.8): definition.json replaced by a directory: a
// restart still works while the supervisor runs, and once stopped,
// restart says how to start it anew; status.json unreadable by the
// caller (a daemon of nobody's, as root): status still answers, from the
// supervisor.
func tryOddStateFiles(t *T) error {
	var p problems
	name := t.name("-def")
	if _, err := t.startSleep(name, 0); err != nil {
		return err
	}
	def := filepath.Join(daemonFolder(t.e.home, name), "definition.json")
	os.Remove(def)
	os.Mkdir(def, 0o700)
	if r := t.tend("restart", name); r.code != 0 {
		p.add("definition.json replaced by a directory, supervisor running: %v; expected the restart done by the supervisor", r)
	}
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	if r := t.tend("restart", name); r.code == 0 || !strings.Contains(r.err, "tend start "+name) {
		p.add("definition.json replaced by a directory, no supervisor: %v; expected an error that says to start it anew with tend start %s", r, name)
	}
	if os.Geteuid() != 0 {
		t.note("unreadable status.json not tried: needs root")
		return p.err()
	}
	// A TEND_HOME of nobody's, whose status.json nobody cannot read.
	base, err := t.folder("nobody")
	if err != nil {
		return err
	}
	if err := os.Chown(base, 65534, 65534); err != nil {
		return err
	}
	home := filepath.Join(base, "home")
	t.e.useHome(home)
	o := opts{home: home, cred: &syscall.Credential{Uid: 65534, Gid: 65534}, dir: base, env: []string{"HOME=" + base}}
	name = t.name("-nobody")
	if r := t.tendO(o, "start", name, "--", "sleep", t.arg(1)); r.code != 0 {
		p.add("start as nobody: %v", r)
		return p.err()
	}
	if err := os.Chmod(filepath.Join(home, name, "status.json"), 0); err != nil {
		p.add("chmod status.json: %v", err)
	}
	st, r, err := t.statusO(o, name)
	if err != nil || r.code != 0 || st.State != "running" {
		p.add("status.json unreadable by its owner, supervisor running: %v; expected the supervisor's answer: running", r)
	}
	if r := t.tendO(o, "stop", name); r.code != 0 {
		p.add("stop as nobody: %v", r)
	}
	if r := t.tendO(o, "host", "stop"); r.code != 0 {
		p.add("host stop as nobody: %v", r)
	}
	return p.err()
}
