package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// upIn runs tend in dir (for the file tend up finds there).
func (e *env) upIn(dir string, args ...string) result {
	e.t.Helper()
	return e.tendIn(dir, nil, args...)
}

// upLine is a line of tend up's report: the daemon (PROJECT.NAME), what
// was done, and its pid. upReport maps them by the daemon's short name.
var upLine = regexp.MustCompile(`(?m)^(?:[^.\s]+\.)?(\S+): (started|restarted|unchanged) \(pid (\d+)[;,)]`)

// upReport parses the output of tend up: what it did, and the pid, by name.
func upReport(t *testing.T, r result) (map[string]string, map[string]int) {
	t.Helper()
	did, pids := map[string]string{}, map[string]int{}
	for _, m := range upLine.FindAllStringSubmatch(r.stdout, -1) {
		did[m[1]] = m[2]
		pids[m[1]], _ = strconv.Atoi(m[3])
	}
	for _, m := range regexp.MustCompile(`(?m)^(?:[^.\s]+\.)?(\S+): stopped`).FindAllStringSubmatch(r.stdout, -1) {
		did[m[1]] = "stopped"
	}
	return did, pids
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// lineIndex returns the index of the first line of s that starts with
// prefix, after a project's name if it has one ("shop.web: stopped" for
// "web: stopped"), or -1.
func lineIndex(s, prefix string) int {
	for i, l := range strings.Split(s, "\n") {
		if _, short, ok := strings.Cut(l, "."); strings.HasPrefix(l, prefix) || ok && strings.HasPrefix(short, prefix) {
			return i
		}
	}
	return -1
}

func TestUpReconciles(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tend.toml")
	const base = `
[db]
command = ["sleep", "1001"]

[web]
command = "sleep 1002"
after = ["db"]
env = { PORT = 8080 }
`
	writeFile(t, file, base+"\n[worker]\ncommand = \"sleep 1003\"\n")

	// Up from nothing: all started.
	r := e.tend("up", "-f", file)
	did, pids := upReport(t, r)
	if r.code != 0 || did["db"] != "started" || did["web"] != "started" || did["worker"] != "started" {
		t.Fatalf("first up: %v", r)
	}
	for name, pid := range pids {
		if !alive(pid) {
			t.Errorf("%s: pid %d not running after up", name, pid)
		}
	}
	if s, code := e.status("web"); code != 0 || s.PID != pids["web"] {
		t.Errorf("status web: %d %+v", code, s)
	}

	// Up again, nothing changed: nothing restarted.
	r = e.tend("up", "-f", file)
	did2, pids2 := upReport(t, r)
	for _, name := range []string{"db", "web", "worker"} {
		if r.code != 0 || did2[name] != "unchanged" || pids2[name] != pids[name] {
			t.Errorf("second up, %s: %s pid %d, want unchanged pid %d: %v", name, did2[name], pids2[name], pids[name], r)
		}
	}

	// A changed definition: only it is restarted.
	writeFile(t, file, strings.Replace(base, "PORT = 8080", "PORT = 9090", 1)+"\n[worker]\ncommand = \"sleep 1003\"\n")
	r = e.tend("up", "-f", file)
	did3, pids3 := upReport(t, r)
	if r.code != 0 || did3["web"] != "restarted" || pids3["web"] == pids["web"] || !strings.Contains(r.stdout, "changed: env)") {
		t.Errorf("up after a change: %v", r)
	}
	if alive(pids["web"]) || !alive(pids3["web"]) {
		t.Errorf("web: old pid %d alive %v, new pid %d alive %v", pids["web"], alive(pids["web"]), pids3["web"], alive(pids3["web"]))
	}
	for _, name := range []string{"db", "worker"} {
		if did3[name] != "unchanged" || pids3[name] != pids[name] {
			t.Errorf("%s: %s pid %d, want unchanged pid %d", name, did3[name], pids3[name], pids[name])
		}
	}

	// A removed entry: stopped; the rest left alone.
	writeFile(t, file, strings.Replace(base, "PORT = 8080", "PORT = 9090", 1))
	r = e.tend("up", "-f", file)
	did4, pids4 := upReport(t, r)
	if r.code != 0 || did4["worker"] != "stopped" || !strings.Contains(r.stdout, "worker: stopped (removed from "+file+")") {
		t.Errorf("up after a removal: %v", r)
	}
	if alive(pids["worker"]) {
		t.Errorf("worker pid %d still alive", pids["worker"])
	}
	if did4["db"] != "unchanged" || pids4["db"] != pids["db"] || did4["web"] != "unchanged" || pids4["web"] != pids3["web"] {
		t.Errorf("others after a removal: %v", r)
	}
	// Once stopped, it is no longer reported.
	if r = e.tend("up", "-f", file); strings.Contains(r.stdout, "worker") {
		t.Errorf("worker reported again: %v", r)
	}

	// Down: web (which comes after db) first, then db.
	r = e.tend("down", "-f", file)
	if r.code != 0 || lineIndex(r.stdout, "web: stopped") < 0 || lineIndex(r.stdout, "web: stopped") > lineIndex(r.stdout, "db: stopped") {
		t.Errorf("down: %v", r)
	}
	for _, name := range []string{"db", "web"} {
		if alive(pids4[name]) {
			t.Errorf("%s pid %d alive after down", name, pids4[name])
		}
	}
	if r = e.tend("down", "-f", file); r.code != 0 || !strings.Contains(r.stdout, "web: not running") {
		t.Errorf("second down: %v", r)
	}
}

func TestUpDependencyOrder(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	note := filepath.Join(dir, "note")
	ready := filepath.Join(dir, "b.ready")
	// b takes a while to become ready, and says so before it is; a and c
	// say when they start. a comes after b, which comes after c.
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[a]
command = "echo a started >> note; exec sleep 1000"
after = ["b"]

[b]
command = "echo b starting >> note; sleep 0.3; echo b ready >> note; touch b.ready; exec sleep 1000"
after = ["c"]
ready = "file:`+ready+`"

[c]
command = "echo c started >> note; exec sleep 1000"

[other]
command = "sleep 1000"
`)
	// Up a alone brings up what it needs, not other.
	r := e.upIn(dir, "up", "a")
	did, _ := upReport(t, r)
	if r.code != 0 || did["a"] != "started" || did["b"] != "started" || did["c"] != "started" || did["other"] != "" {
		t.Fatalf("up a: %v", r)
	}
	b, _ := os.ReadFile(note)
	notes := string(b)
	ia, ib, ic := lineIndex(notes, "a started"), lineIndex(notes, "b ready"), lineIndex(notes, "b starting")
	if ia < 0 || ib < 0 || ic < 0 || ia < ib || ic < lineIndex(notes, "c started") {
		t.Errorf("order of starts:\n%s", notes)
	}
	if lineIndex(r.stdout, "c: started") > lineIndex(r.stdout, "b: started") || lineIndex(r.stdout, "b: started") > lineIndex(r.stdout, "a: started") {
		t.Errorf("order of the report: %v", r)
	}
	// Down reverses it.
	r = e.upIn(dir, "down")
	if r.code != 0 || lineIndex(r.stdout, "a: stopped") > lineIndex(r.stdout, "b: stopped") || lineIndex(r.stdout, "b: stopped") > lineIndex(r.stdout, "c: stopped") {
		t.Errorf("down: %v", r)
	}
}

func TestUpRefusesACycle(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), `
[free]
command = "sleep 1000"

[a]
command = "sleep 1000"
after = ["b"]

[b]
command = "sleep 1000"
after = ["a"]
`)
	r := e.upIn(dir, "up", "free")
	if r.code != 2 || r.stderr != "tend: tend.toml:5: a.after: dependency cycle: a -> b -> a\n" || r.stdout != "" {
		t.Errorf("up with a cycle: %v", r)
	}
	if r := e.tend("list"); strings.Contains(r.stdout, "free") || strings.Contains(r.stdout, "running") {
		t.Errorf("something was started: %v", r)
	}
	writeFile(t, filepath.Join(dir, "tend.toml"), "[a]\ncommand = \"sleep 1000\"\nafter = [\"db\"]\n")
	if r := e.upIn(dir, "up"); r.code != 2 || r.stderr != "tend: tend.toml:1: a.after: unknown daemon \"db\"\n" {
		t.Errorf("up with an unknown dependency: %v", r)
	}
}

func TestUpProcfile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "GREETING=hello\n")
	writeFile(t, filepath.Join(dir, "Procfile"), "# a comment\nweb: echo \"$GREETING from web\" > web.out; exec sleep 1000\nworker: sleep 1000\n")
	out := filepath.Join(dir, "web.out")
	r := e.upIn(dir, "up")
	did, pids := upReport(t, r)
	if r.code != 0 || did["web"] != "started" || did["worker"] != "started" {
		t.Fatalf("up: %v", r)
	}
	eventually(t, "the .env in web's environment", func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == "hello from web\n"
	})
	// Editing .env changes both definitions.
	writeFile(t, filepath.Join(dir, ".env"), "GREETING=bye\n")
	r = e.upIn(dir, "up")
	did2, pids2 := upReport(t, r)
	if r.code != 0 || did2["web"] != "restarted" || did2["worker"] != "restarted" || pids2["web"] == pids["web"] ||
		!strings.Contains(r.stdout, "changed: env file contents") {
		t.Errorf("up after editing .env: %v", r)
	}
	eventually(t, "the new .env in web's environment", func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == "bye from web\n"
	})
	if r := e.upIn(dir, "up"); !strings.Contains(r.stdout, "web: unchanged") || !strings.Contains(r.stdout, "worker: unchanged") {
		t.Errorf("third up: %v", r)
	}
	// tend.toml wins over Procfile when both are there.
	writeFile(t, filepath.Join(dir, "tend.toml"), "[solo]\ncommand = \"sleep 1000\"\n")
	if r := e.upIn(dir, "up"); r.code != 0 || !strings.Contains(r.stdout, "solo: started") || strings.Contains(r.stdout, "web") {
		t.Errorf("up with tend.toml beside the Procfile: %v", r)
	}
	if r := e.upIn(dir, "down", "-f", "Procfile"); r.code != 0 || !strings.Contains(r.stdout, "web: stopped") {
		t.Errorf("down -f Procfile: %v", r)
	}
}

func TestUpMalformedFile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for _, tc := range []struct{ text, stderr string }{
		{"[web]\ncommand = \"sleep 1000\"\nrestrat = \"always\"\n", "tend: tend.toml:3: web.restrat: unknown key; did you mean restart?\n"},
		{"[web]\ncommand = \"sleep 1000\"\n\nstart_limit = \"5\"\n", "tend: tend.toml:4: web.start_limit: want an integer (-1 for no limit), not \"5\"\n"},
		{"[ok]\ncommand = \"sleep 1000\"\n[web]\ncommand = \"sleep 1000\"\nbackoff = true\n",
			"tend: tend.toml:5: web.backoff: want a duration such as \"10s\", \"1m30s\" or 10 (seconds), not true\n"},
		{"[web]\ncommand = \"sleep 1000\"\nlog_max_size = \"10X\"\n",
			"tend: tend.toml:3: web.log_max_size: \"10X\" is not a size: want bytes or a number with a unit, such as 10M, 512K or 1048576, or -1 for no limit\n"},
		{"[web]\ncommand = \"sleep 1000\"\nstop_schedule = \"\"\n",
			"tend: tend.toml:3: web.stop_schedule: empty value: give SCHEDULE, or leave the option out for the default (TERM/10/KILL/5)\n"},
	} {
		writeFile(t, filepath.Join(dir, "tend.toml"), tc.text)
		if r := e.upIn(dir, "up"); r.code != 2 || r.stderr != tc.stderr || r.stdout != "" {
			t.Errorf("up with %q: %v, want stderr %q", tc.text, r, tc.stderr)
		}
	}
	if r := e.tend("list"); strings.Contains(r.stdout, "running") {
		t.Errorf("something was started: %v", r)
	}
	if r := e.upIn(t.TempDir(), "up"); r.code != 2 || !strings.Contains(r.stderr, "no tend.toml or Procfile") {
		t.Errorf("up without a file: %v", r)
	}
}

func TestExportSystemdFile(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), "[db]\ncommand = \"sleep 1000\"\n[web]\ncommand = \"sleep 1001\"\nafter = [\"db\"]\n")
	// The units are named as tend up names the daemons, after the project
	// (the folder's name, or -p), so that two projects' never collide
	// (issue 24, item 14).
	project := filepath.Base(dir)
	for _, tc := range []struct {
		args    []string
		project string
	}{
		{nil, project},
		{[]string{"-p", "shop"}, "shop"},
	} {
		r := e.upIn(dir, append([]string{"export", "systemd", "-f", "tend.toml"}, tc.args...)...)
		db, web := tc.project+".db.service", tc.project+".web.service"
		if r.code != 0 || !strings.Contains(r.stdout, "# ---- "+db+"\n") ||
			!strings.Contains(r.stdout, "# ---- "+web+"\n") || !strings.Contains(r.stdout, "[Unit]\nAfter="+db+"\nRequires="+db+"\n") ||
			strings.Index(r.stdout, db+"\n") > strings.Index(r.stdout, web+"\n") {
			t.Errorf("export -f %q: %v", tc.args, r)
		}
	}
	out := t.TempDir()
	if r := e.upIn(dir, "export", "systemd", "-f", "tend.toml", "--dir", out); r.code != 0 {
		t.Fatalf("export --dir: %v", r)
	}
	for _, name := range []string{project + ".db.service", project + ".web.service"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("export --dir: %v", err)
		}
	}
	// A daemon of the project, exported by its name, is the same unit.
	if r := e.upIn(dir, "up"); r.code != 0 {
		t.Fatalf("up: %v", r)
	}
	if r := e.upIn(dir, "export", "systemd", "web"); r.code != 0 || !strings.HasPrefix(r.stdout, "# "+project+".web.service:") {
		t.Errorf("export web: %v", r)
	}
	if r := e.upIn(dir, "export", "systemd", "-p", "shop", "web"); r.code != 2 {
		t.Errorf("export -p without -f: %v", r)
	}
}

func TestUpForeground(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tend.toml"), "[db]\ncommand = \"sleep 1000\"\n[web]\ncommand = \"sleep 1001\"\nafter = [\"db\"]\n")
	out := filepath.Join(dir, "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(tendBin, "up", "--foreground")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "up --foreground to start both", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "db: started") && strings.Contains(string(b), "web: started")
	})
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("up --foreground after SIGTERM: %v", err)
	}
	b, _ := os.ReadFile(out)
	if s := string(b); lineIndex(s, "web: stopped") < 0 || lineIndex(s, "web: stopped") > lineIndex(s, "db: stopped") {
		t.Errorf("up --foreground output:\n%s", s)
	}
}

// TestProcfileLineExecs: a Procfile line with shell syntax runs through
// /bin/sh -c, and the shell execs the program: the daemon's main process
// is the program itself, so a signal reaches it, and its port is freed
// when it stops.
func TestProcfileLineExecs(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "HELPER="+testBin+"\n")
	writeFile(t, filepath.Join(dir, "Procfile"), "web: "+helperEnv+"=sleep TEST_NOTE="+e.note+" $HELPER --flag\n")
	if r := e.upIn(dir, "up"); r.code != 0 {
		t.Fatalf("up: %v", r)
	}
	var pid int
	eventually(t, "the program's pid in status", func() bool {
		noted := e.notedPIDs("running")
		s, _ := e.status("web")
		if len(noted) == 0 {
			return false
		}
		pid = noted[0]
		return s.PID == pid
	})
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); !strings.HasPrefix(string(b), testBin+"\x00--flag") {
		t.Errorf("main process %d runs %q, want the program itself", pid, b)
	}
	if r := e.tend("signal", "web", "KILL"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("pid %d", pid)) {
		t.Fatalf("signal: %v", r)
	}
	eventually(t, "the program killed by the signal", func() bool { return !alive(pid) })
}
