package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// TestForeignFolderNotBelieved is the fault campaign's planted folder
// (issue 25, item 1): while root's TEND_HOME was world-writable, user
// nobody planted victim/ with a status record naming one of root's
// processes, and planted/ with a definition of its own. After root's chmod
// go-w, nothing of them may be believed: stop must not kill root's
// process, resurrect must not run nobody's command as root, and list
// must say the folders are there.
func TestForeignFolderNotBelieved(t *testing.T) {
	n := asNobody(t)
	e := newEnv(t)
	if err := os.Chmod(e.home, 0o777); err != nil {
		t.Fatal(err)
	}
	// Root's process, which the planted record names.
	victim := exec.Command("sleep", "300")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { victim.Process.Kill(); victim.Wait() })
	id, err := proc.Lookup(victim.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	pwned := filepath.Join(t.TempDir(), "pwned")
	rec, _ := json.Marshal(status.Record{Name: "victim", Command: []string{"sleep", "300"}, State: status.Running,
		WantUp: true, PID: id.PID, StartTime: id.StartTime, Supervisor: proc.Identity{PID: 1, StartTime: 1}})
	def, _ := json.Marshal(definition.Definition{Name: "planted", Command: []string{"/bin/sh", "-c", "id -u > " + pwned}, Dir: "/"})
	deadRec, _ := json.Marshal(status.Record{Name: "planted", Command: []string{"/bin/sh"}, State: status.Running,
		WantUp: true, Supervisor: proc.Identity{PID: 1, StartTime: 1}})
	script := `set -e; cd "$H"; umask 077
mkdir victim planted
printf '%s' "$REC" > victim/status.json
printf '%s' "$DEF" > planted/definition.json
printf '%s' "$DEAD" > planted/status.json`
	if out, code := n.run(t, []string{"H=" + e.home, "REC=" + string(rec), "DEF=" + string(def), "DEAD=" + string(deadRec)},
		"/bin/sh", "-c", script); code != 0 {
		t.Fatalf("planting as nobody: exit %d: %s", code, out)
	}
	// Root's tend refuses the world-writable home, and says to look.
	r := e.tend("list")
	if r.code == 0 || !strings.Contains(r.stderr, "chmod go-w") || !strings.Contains(r.stderr, "not yours") {
		t.Errorf("list in a world-writable home: %v; want a refusal saying to chmod and to look for folders that are not yours", r)
	}
	if err := os.Chmod(e.home, 0o755); err != nil {
		t.Fatal(err)
	}

	r = e.tend("stop", "victim")
	if r.code == 0 || !strings.Contains(r.stderr, "uid 65534") {
		t.Errorf("stop of the planted victim: %v; want a refusal naming the folder's owner", r)
	}
	r = e.tend("status", "victim")
	if r.code == 0 || strings.Contains(r.stdout, "running") {
		t.Errorf("status of the planted victim: %v; want a refusal", r)
	}
	r = e.tend("resurrect")
	if r.code == 0 || !strings.Contains(r.stderr, "planted") || !strings.Contains(r.stderr, "uid 65534") {
		t.Errorf("resurrect: %v; want it to name the foreign folders and exit 1", r)
	}
	r = e.tend("list")
	if !strings.Contains(r.stderr, "victim") || !strings.Contains(r.stderr, "planted") || strings.Contains(r.stdout, "victim") {
		t.Errorf("list: %v; want the foreign folders reported on stderr, not listed", r)
	}
	// Nothing acted: root's process lives, nobody's command never ran.
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !id.Alive() {
			t.Fatal("root's process was killed on the word of a record nobody planted")
		}
		if _, err := os.Stat(pwned); err == nil {
			t.Fatal("the planted definition ran")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A folder of root's own that others may write is not believed
	// either: a record in it could be anyone's.
	open := filepath.Join(e.home, "opened")
	os.Mkdir(open, 0o700)
	os.WriteFile(filepath.Join(open, "status.json"), rec, 0o600)
	os.Chmod(open, 0o777)
	if r := e.tend("stop", "opened"); r.code == 0 || !strings.Contains(r.stderr, "writable by group or others") {
		t.Errorf("stop of a world-writable folder: %v; want a refusal", r)
	}
	if !id.Alive() {
		t.Fatal("root's process was killed on the word of a record in a world-writable folder")
	}
}
