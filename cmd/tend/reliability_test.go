package main

// The reliability suite: races, faults and identity, through the real
// binary (see RELIABILITY.md for what each test guarantees). Figures worth
// reporting are logged with t.Logf under "figures:".

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/supervisor"
)

// tendEnv runs tend with extra environment variables.
func (e *env) tendEnv(extra []string, args ...string) result {
	e.t.Helper()
	return e.tendIn("", extra, args...)
}

// notedPIDs returns every pid the helpers noted with the given verb
// ("running 123").
func (e *env) notedPIDs(verb string) []int {
	b, _ := os.ReadFile(e.note)
	var pids []int
	for _, m := range regexp.MustCompile(`(?m)^`+verb+` (\d+)$`).FindAllStringSubmatch(string(b), -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// checkFolder checks that a daemon that is not running left its folder
// consistent: a readable record in a final state, its supervisor lock
// free, no control socket, no temporary files.
func (e *env) checkFolder(name string) {
	e.t.Helper()
	dir := filepath.Join(e.home, name)
	if held, pid, err := pidfile.Locked(filepath.Join(dir, "supervisor.pid")); err != nil || held {
		e.t.Errorf("%s: supervisor lock held by %d (%v)", name, pid, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "control.sock")); err == nil {
		e.t.Errorf("%s: control.sock left behind", name)
	}
	entries, _ := os.ReadDir(dir)
	for _, de := range entries {
		if strings.Contains(de.Name(), ".tmp-") {
			e.t.Errorf("%s: temporary file %s left behind", name, de.Name())
		}
	}
	s, code := e.status(name)
	if code != 3 || s.State != "stopped" && s.State != "exited" {
		e.t.Errorf("%s: status %d %+v; want stopped", name, code, s)
	}
}

// okCode fails the test on a result that is neither success nor one of
// the allowed failures.
func okCode(t *testing.T, what string, r result, allowed ...string) {
	t.Helper()
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("%s: %v", what, r)
		return
	}
	if r.code == 0 {
		return
	}
	for _, a := range allowed {
		if r.code == 1 && strings.Contains(r.stderr, a) {
			return
		}
	}
	t.Errorf("%s: %v", what, r)
}

func TestRaceFiftyStarts(t *testing.T) {
	e := newEnv(t)
	const n = 50
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.start("one", "sleep") })
	}
	wg.Wait()
	winners := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			winners++
		case r.code == 1 && regexp.MustCompile(`^tend: one is already running( \(pid \d+\))?(; [^\n]*)?\n$`).MatchString(r.stderr):
		default:
			t.Errorf("unexpected result: %v", r)
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d starts won, want exactly 1", winners, n)
	}
	eventually(t, "the winner's child", func() bool { return len(e.notedPIDs("running")) > 0 })
	if r := e.tend("stop", "one"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	pids := e.notedPIDs("running")
	if len(pids) != 1 {
		t.Errorf("%d children started, want 1: %v", len(pids), pids)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("child %d survived stop", pid)
		}
	}
	e.checkFolder("one")
	t.Logf("figures: %d concurrent starts, %d won", n, winners)
}

// TestRaceManyNames starts, restarts and stops 20 daemons concurrently for
// several rounds, with a restart and a stop of the same name racing each
// other in every round.
func TestRaceManyNames(t *testing.T) {
	e := newEnv(t)
	const names, rounds = 20, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	ops := 0
	count := func() { mu.Lock(); ops++; mu.Unlock() }
	for i := range names {
		name := fmt.Sprintf("d%02d", i)
		wg.Go(func() {
			for range rounds {
				okCode(t, "start "+name, e.start(name, "sleep"), "already running")
				count()
				var inner sync.WaitGroup
				inner.Go(func() {
					// A restart that a stop overtakes may fail (exit 1) in
					// several ways; what matters is what is left afterwards.
					okCode(t, "restart "+name, e.tend("restart", name), "")
					count()
				})
				inner.Go(func() { okCode(t, "stop "+name, e.tend("stop", name)); count() })
				inner.Wait()
				okCode(t, "stop "+name, e.tend("stop", name))
				count()
			}
		})
	}
	wg.Wait()
	pids := e.notedPIDs("running")
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("child %d still runs after every stop", pid)
		}
	}
	for i := range names {
		e.checkFolder(fmt.Sprintf("d%02d", i))
	}
	t.Logf("figures: %d names x %d rounds: %d tend commands, %d children started, 0 left running", names, rounds, ops, len(pids))
}

// TestStopRacesCrashRestart stops a daemon whose child crashes and is
// restarted every few milliseconds, so that stop lands in every phase:
// running, backing off, starting.
func TestStopRacesCrashRestart(t *testing.T) {
	e := newEnv(t)
	const rounds = 15
	for i := range rounds {
		r := e.start("crashy", "exit", "--env", "TEST_EXIT=3", "--restart", "always",
			"--backoff", "1ms", "--backoff-max", "2ms", "--start-limit", "-1")
		// A command that crashes at once does not start: tend start says
		// so, and its supervisor goes on restarting it, per --restart.
		okCode(t, "start", r, "crashy exited with status 3 during its start")
		want := i + 2
		eventually(t, "a few crashes", func() bool { return len(e.notedPIDs("exiting")) >= want })
		okCode(t, "stop", e.tend("stop", "crashy"))
		for _, pid := range e.notedPIDs("exiting") {
			if alive(pid) {
				t.Fatalf("round %d: child %d alive after stop", i, pid)
			}
		}
		e.checkFolder("crashy")
		if t.Failed() {
			return
		}
	}
	n := len(e.notedPIDs("exiting"))
	// Only its supervisor starts its children: once none runs it (in the
	// host or a process of its own), a child started after the last stop
	// has noted itself, or still runs.
	eventually(t, "the end of its supervisor", func() bool { s, _ := e.status("crashy"); return !s.SupervisorAlive })
	if m := len(e.notedPIDs("exiting")); m != n {
		t.Errorf("%d children started after the last stop", m-n)
	}
	if left := proc.WithEnv("TEST_NOTE", e.note); len(left) > 0 {
		t.Errorf("children run after the last stop: %v", left)
	}
	t.Logf("figures: %d stops racing a crash loop of %d children", rounds, n)
}

// crashPoints are the supervisor's fault-injection points (see
// supervisor.CrashPointEnv), in order.
var crashPoints = []string{"start-setup", "start-forked", "start-spawned", "start-listening", "stop-requested", "stop-stopped"}

// TestHostKilledAtEachPoint kills the host with SIGKILL at each step of
// a start and a stop (once: its keeper starts the next host without the
// fault). The user's command still does what it asked, and the daemon is
// never invisible nor doubled: a start ends with one copy running, a
// stop with none.
func TestHostKilledAtEachPoint(t *testing.T) {
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			e := newEnv(t)
			crash := []string{supervisor.CrashPointEnv + "=" + point}
			r := e.tendEnv(crash, append([]string{"start", "x"}, e.helper("sleep")...)...)
			if r.code != 0 {
				t.Fatalf("start whose host is killed at %s: %v", point, r)
			}
			eventually(t, "one child", func() bool { return len(e.notedPIDs("running")) > 0 })
			var s statusOut
			var code int
			eventually(t, "status running with the child", func() bool {
				s, code = e.status("x")
				return code == 0 && s.State == "running" && alive(s.PID)
			})
			if live := e.livePIDs(); len(live) != 1 || live[0] != s.PID {
				t.Errorf("after the start: status %d %+v, live children %v; want exactly the one status names", code, s, live)
			}
			if r := e.start("x", "sleep"); r.code != 1 || !strings.Contains(r.stderr, "already running") {
				t.Errorf("a second start while it runs: %v", r)
			}
			r = e.tend("stop", "x")
			if r.code != 0 {
				t.Errorf("stop whose host is killed at %s: %v", point, r)
			}
			for _, pid := range e.notedPIDs("running") {
				if alive(pid) {
					t.Errorf("child %d alive after stop returned", pid)
				}
			}
			if code := e.tend("status", "x").code; code != 3 {
				t.Errorf("status after the stop: %d", code)
			}
			pid := e.mustStart("x", "sleep")
			if r := e.tend("stop", "x"); r.code != 0 || alive(pid) {
				t.Errorf("stop of the new start: %v", r)
			}
			e.checkFolder("x")
		})
	}
}

// TestCorruptStateFile damages status.json (truncated, emptied, garbage)
// under a running daemon and under a stopped one.
func TestCorruptStateFile(t *testing.T) {
	damage := map[string]func(path string) error{
		"truncated": func(p string) error { b, _ := os.ReadFile(p); return os.WriteFile(p, b[:len(b)/2], 0o600) },
		"empty":     func(p string) error { return os.WriteFile(p, nil, 0o600) },
		"garbage":   func(p string) error { return os.WriteFile(p, []byte("\x00\xff{{not json"), 0o600) },
	}
	for what, spoil := range damage {
		t.Run(what, func(t *testing.T) {
			e := newEnv(t)
			pid := e.mustStart("c", "sleep")
			rec := filepath.Join(e.home, "c", "status.json")
			if err := spoil(rec); err != nil {
				t.Fatal(err)
			}
			// Running: the supervisor still knows; tend asks it.
			if s, code := e.status("c"); code != 0 || s.PID != pid {
				t.Errorf("status of a running daemon with a %s record: %d %+v", what, code, s)
			}
			if r := e.tend("list"); r.code != 0 || !strings.Contains(r.stdout, "running") {
				t.Errorf("list: %v", r)
			}
			if r := e.tend("stop", "c"); r.code != 0 || alive(pid) {
				t.Fatalf("stop: %v", r)
			}
			// Stopped: a clear error naming the file and the remedy.
			if err := spoil(rec); err != nil {
				t.Fatal(err)
			}
			r := e.tend("status", "c")
			if r.code != 1 || !strings.Contains(r.stderr, rec) || !strings.Contains(r.stderr, "corrupt") || !strings.Contains(r.stderr, "remove it") {
				t.Errorf("status with a %s record: %v", what, r)
			}
			if r := e.tend("list"); r.code != 0 || !strings.Contains(r.stderr, "corrupt") {
				t.Errorf("list: %v", r)
			}
			if r := e.tend("stop", "c"); r.code != 1 || !strings.Contains(r.stderr, "corrupt") {
				t.Errorf("stop: %v", r)
			}
			// start recovers: it rewrites the record.
			pid = e.mustStart("c", "sleep")
			if s, code := e.status("c"); code != 0 || s.PID != pid {
				t.Errorf("status after start: %d %+v", code, s)
			}
			// And a damaged definition: a running supervisor restarts in
			// place without it; once stopped, restart says why; start
			// recovers.
			spoil(filepath.Join(e.home, "c", "definition.json"))
			if r := e.tend("restart", "c"); r.code != 0 {
				t.Errorf("restart in place with a %s definition: %v", what, r)
			}
			e.tend("stop", "c")
			if r := e.tend("restart", "c"); r.code != 1 || !strings.Contains(r.stderr, "definition") {
				t.Errorf("restart of a stopped daemon with a %s definition: %v", what, r)
			}
			e.mustStart("c", "sleep")
			if r := e.tend("restart", "c"); r.code != 0 {
				t.Errorf("restart after start: %v", r)
			}
		})
	}
}

// TestStateFolderRemoved removes a running daemon's folder: the supervisor
// keeps its child, puts its folder back, and stays the only supervisor.
func TestStateFolderRemoved(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("gone", "print", "--env", "TEST_LINES=1")
	folder := filepath.Join(e.home, "gone")
	// The live supervisor may write into the folder while it is being
	// removed (a status record, its log): like rm -rf, RemoveAll can then
	// fail with "directory not empty", and a user would run it again.
	eventually(t, "the folder removed", func() bool { return os.RemoveAll(folder) == nil })
	var s statusOut
	eventually(t, "the folder back", func() bool {
		var code int
		s, code = e.status("gone")
		return code == 0 && s.PID == pid
	})
	if r := e.start("gone", "sleep"); r.code != 1 || !strings.Contains(r.stderr, "already running") {
		t.Errorf("second start after the folder came back: %v", r)
	}
	for _, f := range []string{"definition.json", "status.json", "supervisor.pid"} {
		if _, err := os.Lstat(filepath.Join(folder, f)); err != nil {
			t.Errorf("%s not recreated: %v", f, err)
		}
	}
	if fi, err := os.Stat(folder); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("recreated folder: %v %v", fi.Mode(), err)
	}
	if r := e.tend("signal", "gone", "CONT"); r.code != 0 {
		t.Errorf("signal: %v", r)
	}
	if r := e.tend("stop", "gone"); r.code != 0 || alive(pid) {
		t.Errorf("stop: %v", r)
	}
	e.checkFolder("gone")
}

// procStatus returns the supervisor's open descriptors, threads and
// resident memory (KiB), from /proc.
func procStatus(t *testing.T, pid int) (fds, threads, rssKiB int) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) int {
		m := regexp.MustCompile(`(?m)^` + name + `:\s+(\d+)`).FindSubmatch(b)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return len(entries), field("Threads"), field("VmRSS")
}

// TestThousandRestarts crash-loops a child a thousand times and checks the
// supervisor's descriptors, threads and memory stay flat.
func TestThousandRestarts(t *testing.T) {
	falseBin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1)")
	}
	e := newEnv(t)
	r := e.tend("start", "loop", "--restart", "always", "--backoff", "1ms", "--backoff-max", "1ms",
		"--start-limit", "-1", "--", falseBin)
	if r.code != 0 && !strings.Contains(r.stderr, "exited") {
		t.Logf("start: %v", r)
	}
	var s statusOut
	restarts := func(n int) func() bool {
		return func() bool { s, _ = e.status("loop"); return s.Restarts >= n }
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(2 * time.Minute)
		for !restarts(n)() {
			if time.Now().After(deadline) {
				t.Fatalf("only %d restarts after 2 minutes", s.Restarts)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// sample takes the smallest descriptor count of many readings, so
	// that one caught mid-spawn (with /dev/null, or the incarnation's
	// cgroup watch, open) does not count: in a 1 ms crash loop the
	// supervisor is between spawns in only about a quarter of them.
	sample := func() (fds, threads, rss int) {
		fds = 1 << 30
		for range 200 {
			f, th, m := procStatus(t, s.SupervisorPID)
			fds, threads, rss = min(fds, f), max(threads, th), max(rss, m)
			time.Sleep(2 * time.Millisecond)
		}
		return
	}
	waitFor(100) // warmed up
	fds0, th0, rss0 := sample()
	start := s.Restarts
	waitFor(start + 1000)
	fds1, th1, rss1 := sample()
	t.Logf("figures: %d restarts: fds %d -> %d, threads %d -> %d, VmRSS %d -> %d KiB", s.Restarts-start, fds0, fds1, th0, th1, rss0, rss1)
	if fds1 > fds0 {
		t.Errorf("descriptors grew from %d to %d over 1000 restarts", fds0, fds1)
	}
	if th1 > th0+3 {
		t.Errorf("threads grew from %d to %d over 1000 restarts", th0, th1)
	}
	if rss1 > rss0+4096 {
		t.Errorf("VmRSS grew from %d to %d KiB over 1000 restarts", rss0, rss1)
	}
	if s.State == "failed" {
		t.Errorf("marked failed with --start-limit -1: %+v", s)
	}
}

// victim starts a process the test owns, to stand for an unrelated process
// that reused a daemon's pid.
func victim(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(testBin)
	cmd.Env = append(helperEnvFor("sleep"), "TEST_NOTE=/dev/null")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own, as a daemon's child has
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestStaleRecordNeverSignalled writes a record naming a live process the
// test started, with a wrong start time (pid reuse): stop, restart and
// signal never touch it, and status reports the record as stale.
func TestStaleRecordNeverSignalled(t *testing.T) {
	e := newEnv(t)
	// A real record and definition to damage: start and stop a daemon.
	e.mustStart("old", "sleep")
	if r := e.tend("stop", "old"); r.code != 0 {
		t.Fatal(r)
	}
	v := victim(t)
	// Catch every signal the victim gets: it is in a stopped (T) state
	// only if someone sent it STOP, and dead if anything else reached it.
	recPath := filepath.Join(e.home, "old", "status.json")
	var rec map[string]any
	b, _ := os.ReadFile(recPath)
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["state"], rec["pid"], rec["start_time"] = "running", v.Process.Pid, 12345
	b, _ = json.Marshal(rec)
	if err := os.WriteFile(recPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(v.Process.Pid)

	r := e.tend("status", "old")
	if r.code != 1 || !strings.Contains(r.stdout, "pid "+pid+" now belongs to another process (stale)") {
		t.Errorf("status: %v", r)
	}
	if s, _ := e.status("old"); s.PID != 0 {
		t.Errorf("status --json shows the stale pid as the daemon's: %+v", s)
	}
	if r := e.tend("status", "--json", "old"); !strings.Contains(r.stdout, `"stale": true`) {
		t.Errorf("status --json does not say stale: %v", r)
	}
	for _, sig := range []string{"TERM", "KILL"} {
		r := e.tend("signal", "old", sig)
		if r.code != 1 || !strings.Contains(r.stderr, "stale") {
			t.Errorf("signal %s: %v", sig, r)
		}
		r = e.tend("signal", "--group", "old", sig)
		if r.code != 1 || !strings.Contains(r.stderr, "stale") {
			t.Errorf("signal --group %s: %v", sig, r)
		}
	}
	r = e.tend("stop", "old")
	if r.code != 0 || !strings.Contains(r.stdout, "not running") || !strings.Contains(r.stdout, "stale") {
		t.Errorf("stop: %v", r)
	}
	if !alive(v.Process.Pid) {
		t.Fatal("the unrelated process was killed")
	}
	// restart starts the daemon anew and leaves the stranger alone.
	if err := os.WriteFile(recPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.tend("restart", "old")
	if r.code != 0 || !strings.Contains(r.stdout, "started old") {
		t.Errorf("restart: %v", r)
	}
	if r := e.tend("stop", "old"); r.code != 0 {
		t.Errorf("stop: %v", r)
	}
	if !alive(v.Process.Pid) {
		t.Fatal("the unrelated process was killed")
	}
}

// TestHostKilledAfterForkSilentChild: a host killed between forking the
// daemon and recording its pid, with a daemon that writes nothing
// (/bin/sleep). The next host finds it by the keeper's tag and takes it
// over: the start says started, status names its pid, stop ends it and
// removes its cgroup.
func TestHostKilledAfterForkSilentChild(t *testing.T) {
	sleep := need(t, "sleep")
	e := newEnv(t)
	marker := "2" + strconv.Itoa(os.Getpid()%100000) + "7"
	r := e.tendEnv([]string{supervisor.CrashPointEnv + "=start-forked"}, "start", "x", "--", sleep, marker)
	left := processesWith(marker)
	if len(left) != 1 {
		t.Fatalf("want the one sleep %s running, found %v (start: %v)", marker, left, r)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "started x (pid "+strconv.Itoa(left[0])) {
		t.Errorf("start whose host was killed after the fork: %v", r)
	}
	s, code := e.status("x")
	if code != 0 || s.State != "running" || s.PID != left[0] {
		t.Errorf("status: %d %+v, want running with pid %d", code, s, left[0])
	}
	var rec struct {
		Cgroup string `json:"cgroup"`
	}
	if b, err := os.ReadFile(filepath.Join(e.home, "x", "status.json")); err == nil {
		json.Unmarshal(b, &rec)
	}
	if r := e.tend("stop", "x"); r.code != 0 {
		t.Errorf("stop: %v", r)
	}
	if alive(left[0]) {
		t.Errorf("sleep %d survived the stop", left[0])
	}
	if rec.Cgroup != "" {
		eventually(t, "the cgroup removed", func() bool { _, err := os.Stat(rec.Cgroup); return err != nil })
	}
}

// TestHostKilledDuringScale: the host is killed right after tend scale 2
// forked the second instance, before its record: the new host keeps that
// instance (the definition has the new number first), the scale exits 0,
// two copies run, and a stop ends both at once.
func TestHostKilledDuringScale(t *testing.T) {
	e := newEnv(t)
	crash := []string{supervisor.CrashPointEnv + "=scale-forked"}
	if r := e.tendEnv(crash, append([]string{"start", "x"}, e.helper("sleep")...)...); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	if r := e.tend("scale", "x", "2"); r.code != 0 {
		t.Fatalf("scale 2 whose host is killed after the fork: %v", r)
	}
	eventually(t, "two copies, both of x", func() bool { return len(e.livePIDs()) == 2 })
	began := time.Now()
	if r := e.tend("stop", "x"); r.code != 0 || time.Since(began) > 5*time.Second {
		t.Errorf("stop after %v: %v", time.Since(began), r)
	}
	if live := e.livePIDs(); len(live) != 0 {
		t.Errorf("still running after the stop: %v", live)
	}
}
