package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tendhq/tend/internal/proc"
)

// crash marks a running daemon's processes for reboot to kill, as a power
// cut would, leaving its folder as it was.
func (e *env) crash(name string) {
	e.t.Helper()
	s, code := e.status(name)
	if code != 0 || s.SupervisorPID <= 0 || s.PID <= 0 {
		e.t.Fatalf("crash %s: it is not running: %d %+v", name, code, s)
	}
	e.crashed = append(e.crashed, append(s.Processes, s.PID)...)
}

// reboot kills with SIGKILL the host's keeper, the host, and every
// process of the daemons crash named, as a machine that goes down does.
func (e *env) reboot() {
	e.t.Helper()
	b, _ := os.ReadFile(filepath.Join(e.home, "host.pid"))
	keeper, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	var host []int
	if keeper > 0 {
		host, _ = proc.Children(keeper)
		syscall.Kill(keeper, syscall.SIGKILL)
	}
	all := append(host, e.crashed...)
	for _, pid := range all {
		if pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	eventually(e.t, "every process gone", func() bool {
		for _, pid := range append(all, keeper) {
			if pid > 0 && alive(pid) {
				return false
			}
		}
		return true
	})
}

// TestResurrect simulates a reboot: every supervisor and child is killed
// with SIGKILL; tend resurrect then brings back exactly the daemons that
// were up (running or backing off), in a tend.toml's order, and not the
// one a user stopped nor the one that ended for good.
func TestResurrect(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tend.toml")
	writeFile(t, file, `
[db]
command = ["sleep", "1001"]

[web]
command = "sleep 1002"
after = ["db"]

[cache]
command = "sleep 1003"
after = ["web"]
`)
	if r := e.tend("up", "-f", file); r.code != 0 {
		t.Fatalf("up: %v", r)
	}
	e.mustStart("a", "sleep")
	e.mustStart("stopped", "sleep")
	if r := e.tend("stop", "stopped"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	if r := e.start("ended", "exit", "--env", "TEST_EXIT=0", "--restart", "never"); r.code != 0 {
		t.Fatalf("start ended: %v", r)
	}
	eventually(t, "ended to end", func() bool { s, _ := e.status("ended"); return s.State == "exited" })
	// Backing off when the machine goes down: its child crashed twice (the
	// first restart is at once) and its supervisor waits an hour to start
	// it again.
	flakyPID := e.mustStart("flaky", "sleep", "--backoff", "1h")
	syscall.Kill(flakyPID, syscall.SIGKILL)
	eventually(t, "flaky to restart", func() bool { s, _ := e.status("flaky"); return s.PID > 0 && s.PID != flakyPID })
	again, _ := e.status("flaky")
	syscall.Kill(again.PID, syscall.SIGKILL)
	eventually(t, "flaky to back off", func() bool { s, _ := e.status("flaky"); return s.State == "backing-off" })
	for _, name := range []string{"db", "web", "cache", "a"} {
		e.crash(name)
	}
	e.reboot()

	r := e.tend("resurrect")
	if r.code != 0 {
		b, _ := os.ReadFile(filepath.Join(e.home, "host.log"))
		t.Errorf("resurrect: %v\n%s", r, b)
	}
	// The tend.toml's daemons are its project's (PROJECT.db): by their
	// short names here.
	started := regexp.MustCompile(`(?m)^(?:[^.\s]+\.)?(\S+): started \(pid \d+\)$`)
	var names []string
	for _, m := range started.FindAllStringSubmatch(r.stdout, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "cache", "db", "flaky", "web"}) {
		t.Errorf("resurrect started %v, want a, cache, db, flaky and web: %v", names, r)
	}
	if db, web, cache := lineIndex(r.stdout, "db:"), lineIndex(r.stdout, "web:"), lineIndex(r.stdout, "cache:"); !(db < web && web < cache) {
		t.Errorf("tend.toml's daemons not started in their order: %v", r)
	}
	for _, name := range []string{"db", "web", "cache", "a", "flaky"} {
		if s, code := e.status(name); code != 0 || s.State != "running" || !alive(s.PID) {
			t.Errorf("%s after resurrect: %d %+v", name, code, s)
		}
	}
	if s, code := e.status("stopped"); code != 3 || s.State != "stopped" {
		t.Errorf("a daemon a user stopped came back: %d %+v", code, s)
	}
	if s, _ := e.status("ended"); s.State != "exited" {
		t.Errorf("a daemon that ended came back: %+v", s)
	}

	// Run again with everything up: nothing to do.
	if r := e.tend("resurrect"); r.code != 0 || r.stdout != "" {
		t.Errorf("resurrect with everything up: %v", r)
	}
}

// TestTwoResurrectsAtOnce (issue 25.3): two tend resurrect at once after
// a reboot both exit 0; each daemon is started once, by one of them, and
// the other neither starts it again nor stops it.
func TestTwoResurrectsAtOnce(t *testing.T) {
	e := newEnv(t)
	names := []string{"a", "b", "c"}
	for _, name := range names {
		e.mustStart(name, "sleep")
		e.crash(name)
	}
	e.reboot()
	var rs [2]result
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() {
			cmd := exec.Command(tendBin, "resurrect")
			cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			rs[i] = result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
			if err != nil && cmd.ProcessState == nil {
				rs[i].code, rs[i].stderr = -1, err.Error()
			}
		})
	}
	wg.Wait()
	started := map[string]int{} // name -> pid said started
	line := regexp.MustCompile(`(?m)^(\S+): started \(pid (\d+)\)$`)
	for _, r := range rs {
		if r.code != 0 {
			t.Errorf("resurrect: %v", r)
		}
		for _, m := range line.FindAllStringSubmatch(r.stdout, -1) {
			if _, twice := started[m[1]]; twice {
				t.Errorf("%s started by both resurrects: %v and %v", m[1], rs[0], rs[1])
			}
			started[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	for _, name := range names {
		s, code := e.status(name)
		if code != 0 || s.State != "running" || s.PID != started[name] || s.Restarts != 0 || !alive(s.PID) {
			t.Errorf("%s after two resurrects: %d %+v, said started as pid %d (%v; %v)", name, code, s, started[name], rs[0], rs[1])
		}
	}
}

// TestResurrectDamagedRecord (issue 25.4): a daemon whose record was
// damaged while the machine was down is not started, and resurrect says
// so, naming the file, and exits 1; the others start.
func TestResurrectDamagedRecord(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"good", "bad"} {
		e.mustStart(name, "sleep")
		e.crash(name)
	}
	e.reboot()
	writeFile(t, filepath.Join(e.home, "bad", "status.json"), "garbage\n")
	r := e.tend("resurrect")
	if r.code != 1 || !regexp.MustCompile(`(?m)^bad: not started: .*bad/status\.json`).MatchString(r.stdout) {
		t.Errorf("resurrect beside a damaged record: %v; want exit 1 and a line naming bad's status.json", r)
	}
	if s, code := e.status("good"); code != 0 || s.State != "running" || !alive(s.PID) {
		t.Errorf("good after resurrect: %d %+v", code, s)
	}
}

// TestStartupPrints checks what tend startup would install.
func TestStartupPrints(t *testing.T) {
	e := newEnv(t)
	r := e.tend("startup", "--cron")
	if r.code != 0 || !strings.Contains(r.stdout, "@reboot TEND_HOME="+e.home+" "+tendBin+" resurrect") {
		t.Errorf("startup --cron: %v", r)
	}
	r = e.tend("startup", "--systemd")
	for _, want := range []string{"ExecStart=" + tendBin + " resurrect", "Environment=TEND_HOME=" + e.home, "Type=oneshot", "WantedBy="} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("startup --systemd lacks %q: %v", want, r)
		}
	}
	if r := e.tend("startup", "--cron", "--systemd"); r.code != 2 {
		t.Errorf("startup --cron --systemd: %v", r)
	}
}
