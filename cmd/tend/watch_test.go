package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// watchRestarts returns the files of each restart (or reload) that
// --watch made, from the daemon's events.log.
func (e *env) watchRestarts(name string) []string {
	b, _ := os.ReadFile(filepath.Join(e.home, name, "events.log"))
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		var ev struct {
			Msg   string `json:"msg"`
			Files string `json:"files"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Msg == "watch: files changed" {
			out = append(out, ev.Files)
		}
	}
	return out
}

// TestWatch: a touched file that --watch matches restarts the daemon (a
// new process), also in a folder made after the start; --watch-ignore,
// .git and node_modules are left out; a daemon that writes a file it
// watches at each start is restarted twice, then the watch stops the
// loop with an error that names the file, and the daemon runs on.
func TestWatch(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for _, d := range []string{"src", ".git", "node_modules/lib"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	touch := func(rel string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(time.Now().String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch("src/app.py")
	pid := e.mustStart("web", "sleep", "--dir", dir, "--watch", "*.py", "--watch-ignore", "src/generated_*.py")
	restarts := func() int { s, _ := e.status("web"); return s.Restarts }

	touch("src/app.py")
	eventually(t, "a restart for src/app.py", func() bool { return restarts() == 1 })
	if s, _ := e.status("web"); s.PID == pid || !alive(s.PID) || alive(pid) {
		t.Errorf("after the restart: pid %d (was %d)", s.PID, pid)
	}

	// Ignored files change first; then one watched, in a folder made now.
	touch("src/generated_1.py")
	touch(".git/hook.py")
	touch("node_modules/lib/index.py")
	touch("src/readme.txt")
	os.MkdirAll(filepath.Join(dir, "src/new/deeper"), 0o755)
	touch("src/new/deeper/mod.py")
	eventually(t, "a restart for src/new/deeper/mod.py", func() bool { return restarts() == 2 })
	got := e.watchRestarts("web")
	if len(got) != 2 || !strings.HasSuffix(got[0], "src/app.py") || !strings.Contains(got[1], "src/new") ||
		strings.Contains(got[1], "generated") || strings.Contains(got[1], ".git") || strings.Contains(got[1], "node_modules") ||
		strings.Contains(got[1], "readme") {
		t.Errorf("the watch's restarts were for %q", got)
	}

	// A daemon that writes a file it watches at each start.
	loop := t.TempDir()
	r := e.tend("start", "loopy", "--dir", loop, "--watch", "*.json", "--", "sh", "-c", "date > state.json; exec sleep 600")
	if r.code != 0 {
		t.Fatalf("start loopy: %v", r)
	}
	var s struct {
		State      string `json:"state"`
		Restarts   int    `json:"restarts"`
		PID        int    `json:"pid"`
		WatchError string `json:"watch_error"`
	}
	eventually(t, "the loop stopped", func() bool {
		json.Unmarshal([]byte(e.tend("status", "--json", "loopy").stdout), &s)
		return s.WatchError != ""
	})
	if !regexp.MustCompile(`^restart loop stopped: .* \(` + regexp.QuoteMeta(filepath.Join(loop, "state.json")) + `\): it seems to write files it watches; leave them out with --watch-ignore GLOB, then: tend restart loopy$`).MatchString(s.WatchError) {
		t.Errorf("the watch's error: %q", s.WatchError)
	}
	if s.State != "running" || s.Restarts != 2 || !alive(s.PID) {
		t.Errorf("loopy after its loop was stopped: %+v", s)
	}
	if r := e.tend("status", "loopy"); !strings.Contains(r.stdout, "watch:") || !strings.Contains(r.stdout, "off: restart loop stopped") {
		t.Errorf("status: %v", r)
	}
}

// TestWatchReloads: a daemon that serves --listen sockets and says when it
// is ready is reloaded by a change rather than restarted: a new process
// serves, its restarts stay 0 and its reloads count 1 (TestReloadWithoutDowntime
// shows that a reload refuses no connection).
func TestWatchReloads(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	os.WriteFile(conf, []byte("v1"), 0o644)
	addr := freeAddr(t)
	pid := e.mustStart("web", "http", "--listen", "tcp://"+addr, "--ready", "fd:4", "--dir", dir, "--watch", "*.conf")
	os.WriteFile(conf, []byte("v2"), 0o644)
	var s struct {
		PID      int `json:"pid"`
		Restarts int `json:"restarts"`
		Reloads  int `json:"reloads"`
	}
	eventually(t, "a reload", func() bool {
		json.Unmarshal([]byte(e.tend("status", "--json", "web").stdout), &s)
		return s.Reloads == 1 && s.PID != pid
	})
	if s.Restarts != 0 || alive(pid) {
		t.Errorf("after the watch's reload: %+v, the old pid %d alive: %v", s, pid, alive(pid))
	}
	if got := e.watchRestarts("web"); len(got) != 1 || got[0] != conf {
		t.Errorf("the watch acted for %q", got)
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "web", "events.log"))
	if !strings.Contains(string(b), fmt.Sprintf(`"files":%q,"action":"reload"`, conf)) {
		t.Errorf("events.log:\n%s", b)
	}
}
