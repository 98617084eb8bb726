package main

import (
	"path/filepath"
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
