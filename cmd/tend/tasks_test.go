package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// taskStatus is what tend status --json says of a task.
type taskStatus struct {
	State   string    `json:"state"`
	Runs    int       `json:"runs"`
	Skipped int       `json:"skipped"`
	LastRun time.Time `json:"last_run"`
	NextRun time.Time `json:"next_run"`
	Error   string    `json:"error"`
	Alive   bool      `json:"supervisor_alive"`
}

func (e *env) taskStatus(name string) taskStatus {
	e.t.Helper()
	r := e.tend("status", "--json", name)
	var s taskStatus
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		e.t.Fatalf("status --json %s: %v: %v", name, err, r)
	}
	return s
}

// lines returns the lines of a file that a task appends to.
func lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(string(b))
}

// TestUpOneshotGatesApp: a migration (a one-shot) runs to completion
// before the app that waits for it to complete successfully starts; the
// next tend up does not run it again; a migration that fails holds the
// app back, and tend up says why, naming the migration.
func TestUpOneshotGatesApp(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tend.toml")
	const app = `
[app]
command = "sh -c 'cat migrated > app.saw; exec sleep 1000'"
after = { migrate = "completed_successfully" }
`
	writeFile(t, file, `
[migrate]
command = "sh -c 'echo run >> runs; sleep 0.3; echo done > migrated'"
oneshot = true
`+app)
	r := e.upIn(dir, "up")
	if r.code != 0 || !strings.Contains(r.stdout, ".migrate: completed (exited with status 0 after") {
		t.Fatalf("tend up: %v", r)
	}
	did, pids := upReport(t, r)
	if did["app"] != "started" || !alive(pids["app"]) {
		t.Fatalf("app not started: %v", r)
	}
	testexec.WaitFor(t, 10*time.Second, "app to read the migration's file", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "app.saw"))
		return strings.TrimSpace(string(b)) == "done" // it started after the migration had ended
	})
	if s := e.taskStatus(filepath.Base(dir) + ".migrate"); s.State != "completed" || s.LastRun.IsZero() {
		t.Errorf("migrate: %+v, want completed with its last run", s)
	}

	r = e.upIn(dir, "up")
	if r.code != 0 || !strings.Contains(r.stdout, ".migrate: unchanged (completed") {
		t.Errorf("second tend up: %v", r)
	}
	if got := lines(filepath.Join(dir, "runs")); len(got) != 1 {
		t.Errorf("the migration ran %d times, want once", len(got))
	}
	if r := e.upIn(dir, "down"); r.code != 0 {
		t.Fatalf("down: %v", r)
	}

	writeFile(t, file, `
[migrate]
command = "sh -c 'echo no database >&2; exit 3'"
oneshot = true
`+app)
	os.Remove(filepath.Join(dir, "app.saw"))
	r = e.upIn(dir, "up")
	want := ".app: not started: it waits for migrate to be completed successfully, and migrate failed: it exited with status 3"
	if r.code != 1 || !strings.Contains(r.stdout, want) {
		t.Fatalf("tend up with a failing migration: %v, want exit 1 and %q", r, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "app.saw")); err == nil {
		t.Errorf("app ran although the migration failed")
	}
	if s := e.taskStatus(filepath.Base(dir) + ".migrate"); s.State != "failed" {
		t.Errorf("migrate: %+v, want failed", s)
	}
}

// TestScheduleEvery: --every 1s runs the command three times within
// 3.5 s of its start, each once; tend stop ends the schedule, and a run
// that would overlap the one before is skipped, with an event saying so.
func TestScheduleEvery(t *testing.T) {
	e := newEnv(t)
	runs := filepath.Join(t.TempDir(), "runs")
	begin := time.Now()
	r := e.tend("start", "tick", "--every", "1s", "--", "sh", "-c", "date +%s.%N >> "+runs)
	if r.code != 0 || !regexp.MustCompile(`scheduled tick \(every 1s; next run at `).MatchString(r.stdout) {
		t.Fatalf("start: %v", r)
	}
	if s := e.taskStatus("tick"); s.State != "scheduled" || s.NextRun.Before(begin) {
		t.Errorf("after the start: %+v", s)
	}
	testexec.WaitFor(t, 10*time.Second, "three runs", func() bool { return len(lines(runs)) >= 3 })
	got := lines(runs)
	third, _ := strconv.ParseFloat(got[2], 64)
	if at := time.Unix(0, int64(third*1e9)); at.Sub(begin) > 3500*time.Millisecond {
		t.Errorf("the third run started %v after tend start, want within 3.5 s: %q", at.Sub(begin), got)
	}
	if r := e.tend("stop", "tick"); r.code != 0 || !strings.Contains(r.stdout, "stopped tick: ") {
		t.Fatalf("stop: %v", r)
	}
	s := e.taskStatus("tick")
	if s.State != "stopped" || s.Alive || !s.NextRun.IsZero() || s.Runs < 3 {
		t.Errorf("after tend stop: %+v, want stopped, no next run, its runs counted", s)
	}

	r = e.tend("start", "slow", "--every", "200ms", "--", "sleep", "0.5")
	if r.code != 0 {
		t.Fatalf("start slow: %v", r)
	}
	testexec.WaitFor(t, 10*time.Second, "a skipped run", func() bool { return e.taskStatus("slow").Skipped > 0 })
	log := e.tend("status", "--json", "slow")
	events, _ := os.ReadFile(filepath.Join(e.home, "slow", "events.log"))
	if !strings.Contains(string(events), "run skipped: the run before it still runs") {
		t.Errorf("no event says a run was skipped: %s\n%s", log.stdout, events)
	}
}

// TestScheduleCron: a cron line is accepted with a time zone, shows its
// next run (on a fifth minute); a bad one is refused naming its field,
// on the command line and in tend.toml.
func TestScheduleCron(t *testing.T) {
	e := newEnv(t)
	r := e.tend("start", "cr", "--schedule", "*/5 * * * *", "--timezone", "UTC", "--", "true")
	if r.code != 0 || !strings.Contains(r.stdout, `scheduled cr ("*/5 * * * *" (UTC); next run at`) {
		t.Fatalf("start: %v", r)
	}
	s := e.taskStatus("cr")
	if s.State != "scheduled" || s.NextRun.Minute()%5 != 0 || s.NextRun.Second() != 0 || !s.NextRun.After(time.Now()) ||
		s.NextRun.After(time.Now().Add(5*time.Minute)) {
		t.Errorf("status: %+v, want the next fifth minute", s)
	}
	// Stopped between two runs (one of `true` lasts milliseconds, every
	// five minutes): the stop ends the schedule.
	if r := e.tend("stop", "cr"); r.code != 0 || r.stdout != "stopped cr: its schedule ended (no run was under way)\n" {
		t.Errorf("stop between runs: %v", r)
	}
	r = e.tend("start", "bad", "--schedule", "*/5 * 32 * *", "--", "true")
	if r.code != 2 || !strings.Contains(r.stderr, `day of month field "32"`) {
		t.Errorf("a bad day of month: %v", r)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), "[job]\ncommand = \"true\"\nschedule = \"61 * * * *\"\n")
	if r := e.upIn(dir, "up"); r.code != 2 || !strings.Contains(r.stderr, `tend.toml:1: job: --schedule`) && !strings.Contains(r.stderr, `minute field "61"`) {
		t.Errorf("a bad minute in tend.toml: %v", r)
	}
}

// TestScheduleSurvivesHost: a schedule goes on across a host killed
// with SIGKILL, and tend host upgrade, with its count of runs.
func TestScheduleSurvivesHost(t *testing.T) {
	e := newEnv(t)
	runs := filepath.Join(t.TempDir(), "runs")
	if r := e.tend("start", "tick", "--every", "300ms", "--", "sh", "-c", "echo x >> "+runs); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	testexec.WaitFor(t, 10*time.Second, "a run", func() bool { return len(lines(runs)) >= 1 })
	m := regexp.MustCompile(`pid:\s+(\d+)`).FindStringSubmatch(e.tend("host", "status").stdout)
	if m == nil {
		t.Fatal("no host pid")
	}
	pid, _ := strconv.Atoi(m[1])
	syscall.Kill(pid, syscall.SIGKILL)
	n := len(lines(runs))
	testexec.WaitFor(t, 10*time.Second, "runs after the host's death", func() bool { return len(lines(runs)) >= n+2 })
	if r := e.tend("host", "upgrade"); r.code != 0 {
		t.Fatalf("upgrade: %v", r)
	}
	n = len(lines(runs))
	testexec.WaitFor(t, 10*time.Second, "runs after the upgrade", func() bool { return len(lines(runs)) >= n+2 })
	if s := e.taskStatus("tick"); s.Runs < 5 || s.State == "failed" {
		t.Errorf("status: %+v, want its runs counted across hosts", s)
	}
}
