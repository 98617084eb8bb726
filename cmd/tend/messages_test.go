package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The messages of issue 24, item 15, as a user meets them.

// TestCriticalFailureLine: a critical daemon that hits its start limit is
// said to have failed once, with how it last ended said once.
func TestCriticalFailureLine(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[db]
command = "sleep 1001"

[job]
command = "sleep 0.2; kill -KILL $$"
critical = true
start_limit = 2
`)
	p := e.startForeground(dir, nil, tendBin, "up", "--foreground")
	code, _ := p.wait(t, 20*time.Second)
	want := "job failed for good (start limit hit: more than 2 starts within 10s; last exit: killed by signal KILL); it is critical: bringing the others down\n"
	if errOut := p.stderr.String(); code != 128+9 || !strings.Contains(errOut, want) {
		t.Errorf("exit status %d, stderr %q; want 137 and %q", code, errOut, want)
	}
}

func TestFailedWhy(t *testing.T) {
	for _, tc := range []struct{ err, last, want string }{
		{"start limit hit: more than 5 starts within 10s; last exit: killed by signal KILL", "killed by signal KILL",
			"start limit hit: more than 5 starts within 10s; last exit: killed by signal KILL"},
		{"web was not ready within 2s", "exited with status 0", "web was not ready within 2s; last exit: exited with status 0"},
	} {
		if got := failedWhy(tc.err, tc.last); got != tc.want {
			t.Errorf("failedWhy(%q, %q) = %q, want %q", tc.err, tc.last, got, tc.want)
		}
	}
}

// TestReadySettledNamed: help names the default readiness for what it
// is, and --ready settled is the default, where --ready exec does not
// settle.
func TestReadySettledNamed(t *testing.T) {
	e := newEnv(t)
	if r := e.tend("help", "start"); !strings.Contains(r.stdout, "(default: settled:") {
		t.Errorf("help start: %v", r)
	}
	for _, tc := range []struct {
		name string
		opts []string
	}{
		{"crash-default", nil},
		{"crash-settled", []string{"--ready", "settled"}},
		{"crash-exec", []string{"--ready", "exec"}},
	} {
		args := append(append([]string{"start", tc.name}, tc.opts...), "--", "sh", "-c", "exit 3")
		r := e.tend(args...)
		if tc.name == "crash-exec" {
			if r.code != 0 {
				t.Errorf("--ready exec: %v; want started, as the exec worked", r)
			}
			continue
		}
		if r.code != 1 || !strings.Contains(r.stderr, tc.name+" exited with status 3 during its start") {
			t.Errorf("%s: %v; want a failed start", tc.name, r)
		}
	}
}

// TestNoFarSuggestion: did-you-mean names a slip of the fingers, and
// tend's word for another tool's (ps: list), not a far match that does
// something else (ps is not ls); --watch, pm2's, is an option of its own
// now, not a slip for --watchdog.
func TestNoFarSuggestion(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ps"}, `tend: unknown command "ps"; did you mean list? (see: tend help)` + "\n"},
		{[]string{"show", "web"}, `tend: unknown command "show"; did you mean status? (see: tend help)` + "\n"},
		{[]string{"strat", "web"}, `tend: unknown command "strat"; did you mean start? (see: tend help)` + "\n"},
		{[]string{"start", "web", "--dog", "--", "sleep", "1"}, "tend: start: unknown option --dog; did you mean --log? (see: tend help start)\n"},
		{[]string{"start", "web", "--watch", "--", "sleep", "1"}, "tend: --watch \"--\": want a GLOB such as '*.py' after --watch, not an option\n"},
		{[]string{"lo"}, `tend: unknown command "lo" (see: tend help)` + "\n"},
	} {
		if r := e.tend(tc.args...); r.code != 2 || r.stderr != tc.want {
			t.Errorf("tend %s: %v; want stderr %q", strings.Join(tc.args, " "), r, tc.want)
		}
	}
}

// TestNotifyTimeoutHint: a --ready notify start that times out says that
// the program never sent READY=1, and that some programs must be asked
// to; a program that crashes is not said so.
func TestNotifyTimeoutHint(t *testing.T) {
	e := newEnv(t)
	hint := "note: quiet never sent READY=1 over sd_notify (--ready notify), so tend stopped it; " +
		"some programs send it only when asked to, as redis-server --supervised systemd\n"
	r := e.tend("start", "quiet", "--ready", "notify", "--ready-timeout", "0.5", "--", "sleep", "100")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "tend: quiet was not ready within 500ms\n"+hint) {
		t.Errorf("start: %v", r)
	}
	if r := e.tend("status", "quiet"); !strings.Contains(r.stdout, strings.TrimPrefix(hint, "note: ")) {
		t.Errorf("status: %v", r)
	}
	if r := e.tend("restart", "quiet"); r.code != 1 || !strings.HasSuffix(r.stderr, hint) {
		t.Errorf("restart: %v", r)
	}
	r = e.tend("start", "crash", "--ready", "notify", "--", "sh", "-c", "exit 3")
	if r.code != 1 || strings.Contains(r.stderr, "READY=1") {
		t.Errorf("a crash: %v", r)
	}
}

// TestLauncherExitNotShown: the exit 0 of the launcher of a program that
// daemonizes itself (nginx as it ships) is no last exit: status and list
// show none while the adopted daemon runs.
func TestLauncherExitNotShown(t *testing.T) {
	e := newEnv(t)
	if r := e.tend("start", "forks", "--", "sh", "-c", "sleep 1000 & exit 0"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	var s statusOut
	eventually(t, "the daemon adopted", func() bool {
		s, _ = e.status("forks")
		return s.State == "running" && strings.Contains(e.tend("status", "forks").stdout, "adopted")
	})
	if s.LastExit != nil {
		t.Errorf("last exit %+v, want none: the launcher's exit 0 is no last exit", s.LastExit)
	}
	if r := e.tend("status", "forks"); strings.Contains(r.stdout, "last exit") {
		t.Errorf("status: %v", r)
	}
	if r := e.tend("list"); !regexp.MustCompile(`(?m)^forks\s+running\s+\d+\s+\S+\s+0\s+-\s`).MatchString(r.stdout) {
		t.Errorf("list: %v", r)
	}
}

// TestListNaturalOrder: tend list counts as a person does: d2 before d10.
func TestListNaturalOrder(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"d10", "d2", "d1"} {
		e.mustStart(name, "sleep")
	}
	r := e.tend("list")
	if !regexp.MustCompile(`(?s)\nd1 .*\nd2 .*\nd10 `).MatchString(r.stdout) {
		t.Errorf("list: %v", r)
	}
}

// TestErrorsKeepTheirSubject (issue 24, item 18): a daemon named after one
// of tend's packages keeps its name in errors, every daemon is named once,
// and the host's hints name it.
func TestErrorsKeepTheirSubject(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"config", "web"} {
		e.mustStart(name, "sleep")
		if r := e.tend("stop", name); r.code != 0 {
			t.Fatalf("stop %s: %v", name, r)
		}
		if r := e.tend("signal", name, "HUP"); r.code != 1 || r.stderr != "tend: signal "+name+": not running\n" {
			t.Errorf("signal %s HUP: %v", name, r)
		}
		want := "tend: reload " + name + ": not running: nothing to reload (tend restart " + name + " starts it)\n"
		if r := e.tend("reload", name); r.code != 1 || r.stderr != want {
			t.Errorf("reload %s: %v; want %q", name, r, want)
		}
	}
}
