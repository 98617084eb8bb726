package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tendhq/tend/internal/testexec"
)

// TestUpProjects: two projects' web stay apart, each found by its short
// name from its folder; neither file's up or down takes over the other's
// daemons, nor one started by hand.
func TestUpProjects(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	shop, blog := filepath.Join(root, "shop"), filepath.Join(root, "blog")
	for _, d := range []string{shop, blog} {
		os.Mkdir(d, 0o700)
		writeFile(t, filepath.Join(d, "Procfile"), "web: echo serving $(pwd); exec sleep 600\n")
	}
	if r := e.upIn(shop, "up"); r.code != 0 || !strings.Contains(r.stdout, "shop.web: started") {
		t.Fatalf("up in shop: %v", r)
	}
	if r := e.upIn(blog, "up"); r.code != 0 || !strings.Contains(r.stdout, "blog.web: started") {
		t.Fatalf("up in blog: %v", r)
	}
	if r := e.tend("list"); !regexp.MustCompile(`(?m)^blog\.web\s+blog\s+running`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^shop\.web\s+shop\s+running`).MatchString(r.stdout) {
		t.Errorf("list: %v", r)
	}
	if r := e.tend("list", "-p", "blog"); strings.Contains(r.stdout, "shop.web") || !strings.Contains(r.stdout, "blog.web") {
		t.Errorf("list -p blog: %v", r)
	}
	// The short name: the daemon of the folder's project; elsewhere it is
	// ambiguous.
	for dir, want := range map[string]string{shop: "shop.web: running", blog: "blog.web: running"} {
		if r := e.tendIn(dir, nil, "status", "web"); r.code != 0 || !strings.HasPrefix(r.stdout, want) {
			t.Errorf("status web in %s: %v", dir, r)
		}
	}
	if r := e.tendIn(root, nil, "status", "web"); r.code != 2 || !strings.Contains(r.stderr, `"web" names several daemons: blog.web, shop.web`) {
		t.Errorf("status web elsewhere: %v", r)
	}
	eventually(t, "its line", func() bool { return strings.Contains(e.tendIn(blog, nil, "logs", "web").stdout, "serving "+blog) })
	// Another file of the same project name is refused, naming the owner.
	r := e.upIn(blog, "up", "-p", "shop")
	if r.code != 1 || !strings.Contains(r.stdout, "shop.web: not this project's: it was brought up from "+filepath.Join(shop, "Procfile")) {
		t.Errorf("up -p shop from blog: %v", r)
	}
	if r := e.upIn(blog, "down", "-p", "shop"); r.code != 1 || !strings.Contains(r.stdout, "shop.web: not this project's") {
		t.Errorf("down -p shop from blog: %v", r)
	}
	if s, _ := e.status("shop.web"); s.State != "running" {
		t.Errorf("shop.web after blog's attempts: %+v", s)
	}
	// A daemon started by hand under a project's name is not taken over.
	e.tend("down", "-f", filepath.Join(blog, "Procfile"))
	e.tend("start", "blog.web", "--", "sleep", "600")
	if r := e.upIn(blog, "up"); r.code != 1 || !strings.Contains(r.stdout, "blog.web: not this project's: it was started with tend start") {
		t.Errorf("up over a daemon started by hand: %v", r)
	}
	if r := e.upIn(shop, "up", "-p", "no.dots"); r.code != 2 || !strings.Contains(r.stderr, "without '.'") {
		t.Errorf("up -p with a dot: %v", r)
	}
}

// TestUpConcurrent: tend up of one file, many times at once, is
// idempotent: one start per daemon, the others report it unchanged, all
// exit 0 (issue 13, item 5).
func TestUpConcurrent(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Procfile"), "a: sleep 1000\nb: sleep 1001\nc: sh -c 'sleep 1002'\n")
	const n = 12
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.upIn(dir, "up") })
	}
	wg.Wait()
	started := map[string]int{}
	pids := map[string]map[int]bool{}
	for _, r := range results {
		if r.code != 0 || r.stderr != "" || strings.Contains(r.stdout, "restarted") || strings.Contains(r.stdout, "failed") {
			t.Errorf("concurrent up: %v", r)
		}
		did, ps := upReport(t, r)
		for name, what := range did {
			if what == "started" {
				started[name]++
			}
			if pids[name] == nil {
				pids[name] = map[int]bool{}
			}
			pids[name][ps[name]] = true
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		if started[name] != 1 || len(pids[name]) != 1 {
			t.Errorf("%s: started %d times, pids %v; want one start, one pid", name, started[name], pids[name])
		}
	}
	// And again, with what runs: all unchanged.
	if r := e.upIn(dir, "up"); r.code != 0 || strings.Count(r.stdout, ": unchanged") != 3 {
		t.Errorf("up after the concurrent ones: %v", r)
	}
}

// TestUpAttach: tend up --attach prints the daemons' output with their
// names, and brings them down on SIGINT.
func TestUpAttach(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Procfile"), "ping: while :; do echo ping; sleep 0.2; done\npong: sh -c 'echo pong >&2; exec sleep 600'\n")
	cmd := exec.Command(tendBin, "up", "--attach")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	var out testexec.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	project := filepath.Base(dir)
	eventually(t, "both daemons' lines", func() bool {
		s := out.String()
		return strings.Contains(s, project+".ping | ping") && strings.Contains(s, project+".pong | pong")
	})
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("up --attach after SIGINT: %v\n%s", err, out.String())
	}
	if s := out.String(); !strings.Contains(s, project+".ping: stopped") || !strings.Contains(s, project+".pong: stopped") {
		t.Errorf("up --attach did not bring them down:\n%s", s)
	}
}

// TestUpAttachToRunningProject (issue 24, item 13): tend up --attach on a
// project partly up already shows the output from now on, not the
// history of what ran before, and on SIGINT brings down only what it
// brought up, saying what it leaves running.
func TestUpAttachToRunningProject(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Procfile"),
		"old: sh -c 'echo history; while :; do echo tick-old; sleep 0.1; done'\nnew: sh -c 'echo new-begins; exec sleep 600'\n")
	project := filepath.Base(dir)
	if r := e.upIn(dir, "up", "old"); r.code != 0 {
		t.Fatalf("up old: %v", r)
	}
	eventually(t, "old's first line in its log", func() bool {
		return strings.Contains(e.tend("logs", project+".old").stdout, "history")
	})
	oldPID := 0
	if s, _ := e.status(project + ".old"); s.PID > 0 {
		oldPID = s.PID
	}
	cmd := exec.Command(tendBin, "up", "--attach")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
	var out testexec.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both daemons' lines", func() bool {
		s := out.String()
		return strings.Contains(s, project+".old | tick-old") && strings.Contains(s, project+".new | new-begins")
	})
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("up --attach after SIGINT: %v\n%s", err, out.String())
	}
	s := out.String()
	if strings.Contains(s, "history") {
		t.Errorf("up --attach replayed what old wrote before it:\n%s", s)
	}
	if !strings.Contains(s, project+".new: stopped") || strings.Contains(s, project+".old: stopped") ||
		!strings.Contains(s, "left running") || !strings.Contains(s, project+".old") {
		t.Errorf("up --attach should stop new only, and say it leaves old running:\n%s", s)
	}
	if st, code := e.status(project + ".old"); code != 0 || st.PID != oldPID || !alive(oldPID) {
		t.Errorf("old after up --attach: exit %d %+v; want still running as pid %d", code, st, oldPID)
	}
}
