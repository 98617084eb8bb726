package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// instanceCount is how many instances status --json says a daemon runs.
func (e *env) instanceCount(name string) (int, []int) {
	e.t.Helper()
	r := e.tend("status", "--json", name)
	var s struct {
		InstanceCount int `json:"instance_count"`
		Instances     []struct {
			PID int `json:"pid"`
		} `json:"instances"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		e.t.Fatalf("status --json %s: %v: %v", name, err, r)
	}
	var pids []int
	for _, in := range s.Instances {
		pids = append(pids, in.PID)
	}
	return max(s.InstanceCount, 1), pids
}

// TestUpFormation: foreman's -m sets the instances of a Procfile's
// daemons; a change of the count alone scales the running daemon, whose
// instances go on; the count is kept by a restart; without -m, the
// file's count applies again.
func TestUpFormation(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Procfile"), "web: sleep 1001\nworker: sleep 1002\n")
	project := filepath.Base(dir)
	web, worker := project+".web", project+".worker"

	if r := e.upIn(dir, "up", "-m", "web=3"); r.code != 0 {
		t.Fatalf("up -m web=3: %v", r)
	}
	n, pids := e.instanceCount(web)
	if n != 3 || len(pids) != 3 {
		t.Fatalf("web runs %d instances (%v), want 3", n, pids)
	}
	if n, _ := e.instanceCount(worker); n != 1 {
		t.Errorf("worker runs %d instances, want 1", n)
	}

	r := e.upIn(dir, "up", "-m", "web=2,worker=2")
	if r.code != 0 || !strings.Contains(r.stdout, web+": scaled to 2 instances") || !strings.Contains(r.stdout, worker+": scaled to 2 instances") {
		t.Fatalf("up -m web=2,worker=2: %v", r)
	}
	n, after := e.instanceCount(web)
	if n != 2 || len(after) != 2 || after[0] != pids[0] || after[1] != pids[1] {
		t.Errorf("after scaling down: %d instances %v, want the first two of %v running on", n, after, pids)
	}

	// The count is the daemon's now: a restart keeps it.
	if r := e.tend("restart", web); r.code != 0 {
		t.Fatalf("restart: %v", r)
	}
	if n, _ := e.instanceCount(web); n != 2 {
		t.Errorf("after a restart web runs %d instances, want 2", n)
	}

	r = e.upIn(dir, "up")
	if r.code != 0 || !strings.Contains(r.stdout, web+": scaled to 1 instance\n") {
		t.Errorf("up without -m: %v", r)
	}
	if n, _ := e.instanceCount(web); n != 1 {
		t.Errorf("without -m web runs %d instances, want 1", n)
	}

	for _, bad := range []string{"web=0", "nope=2", "web", "web=x"} {
		if r := e.upIn(dir, "up", "-m", bad); r.code != 2 || !strings.Contains(r.stderr, "-m "+bad) {
			t.Errorf("up -m %s: %v", bad, r)
		}
	}
}
