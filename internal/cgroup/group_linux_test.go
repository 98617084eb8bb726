package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

func TestParentIsOwnGroup(t *testing.T) {
	g := newGroup(t) // skips without cgroup v2
	dir, err := Parent()
	if err != nil {
		t.Fatal(err)
	}
	if own := groupOf(t, os.Getpid()); dir != own {
		t.Errorf("Parent() = %s, own group %s", dir, own)
	}
	if filepath.Dir(g.Path()) != dir {
		t.Errorf("group %s not in %s", g.Path(), dir)
	}
	// Only this process's trial group: other packages' tests, run at the
	// same time, probe the same parent.
	probe := filepath.Join(dir, ".tend-probe-"+strconv.Itoa(os.Getpid()))
	if _, err := os.Lstat(probe); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("trial group left behind: %s (%v)", probe, err)
	}
}

func TestChildBornInGroup(t *testing.T) {
	g := newGroup(t)
	c := startIn(t, g, "pause")
	if got := groupOf(t, c.pid); got != g.Path() {
		t.Errorf("child %d is in %s, want %s", c.pid, got, g.Path())
	}
	pids, err := g.Procs()
	if err != nil || !slices.Equal(pids, []int{c.pid}) {
		t.Errorf("Procs() = %v, %v; want [%d]", pids, err, c.pid)
	}
	if p, err := g.Populated(); err != nil || !p {
		t.Errorf("Populated() = %v, %v; want true", p, err)
	}
}

func TestProcsFindsSetsidGrandchild(t *testing.T) {
	g := newGroup(t)
	inc, err := g.Sub("1")
	if err != nil {
		t.Fatal(err)
	}
	c := startIn(t, inc, "spawn-grandchild")
	reapOrphan(t, c.pid)
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("spawn-grandchild: %v", err)
	}
	if sid, err := unix.Getsid(c.pid); err != nil || sid != c.pid {
		t.Errorf("grandchild %d: session %d, %v; want its own", c.pid, sid, err)
	}
	pids, err := g.Procs()
	if err != nil || !slices.Equal(pids, []int{c.pid}) {
		t.Errorf("Procs() = %v, %v; want the grandchild [%d]", pids, err, c.pid)
	}
	if got := groupOf(t, c.pid); got != inc.Path() {
		t.Errorf("grandchild is in %s, want %s", got, inc.Path())
	}
}

func TestCreateReusesEmptyGroup(t *testing.T) {
	g := newGroup(t)
	parent, name := filepath.Split(g.Path())
	again, err := Create(parent, name)
	if err != nil || again.Path() != g.Path() {
		t.Fatalf("Create again = %v, %v", again, err)
	}
	startIn(t, g, "pause")
	if _, err := Create(parent, name); !errors.Is(err, ErrPopulated) {
		t.Errorf("Create of a live group: err = %v, want ErrPopulated", err)
	}
}

func TestCreateRefusesOtherPlaces(t *testing.T) {
	g := newGroup(t)
	if _, err := g.Sub("cgroup.procs"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Sub(cgroup.procs): err = %v, want ErrInvalidName", err)
	}
	if _, err := Create(t.TempDir(), "x"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Create in a temporary folder: err = %v, want ErrUnsupported", err)
	}
}

func TestOpen(t *testing.T) {
	g := newGroup(t)
	for _, path := range []string{g.Path(), g.Path() + "/", g.Path() + "/sub/.."} {
		o, err := Open(path)
		if err != nil || o.Path() != g.Path() {
			t.Errorf("Open(%s) = %v, %v", path, o, err)
		}
	}
	mounts, err := cgroup2Mounts()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(g.Path(), link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"relative/group",
		t.TempDir(),
		link,
		mounts[0].point,
		g.Path() + "/../../../../tmp",
		g.Path() + "/cgroup.procs",
	} {
		if _, err := Open(path); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%s): err = %v, want ErrInvalid", path, err)
		}
	}
	if _, err := Open(g.Path() + "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing group: err = %v, want ErrNotExist", err)
	}
}

func TestRemove(t *testing.T) {
	g := newGroup(t)
	sub, err := g.Sub("a")
	if err != nil {
		t.Fatal(err)
	}
	deep, err := sub.Sub("b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Sub("empty"); err != nil {
		t.Fatal(err)
	}
	startIn(t, deep, "pause")
	if err := g.remove(0); !errors.Is(err, ErrPopulated) {
		t.Fatalf("remove of a live group: err = %v, want ErrPopulated", err)
	}
	if _, err := os.Stat(deep.Path()); err != nil {
		t.Fatalf("live group removed: %v", err)
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	// No wait: Remove itself waits out the EBUSY of the exiting process.
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("group still there: %v", err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("Remove of a removed group: %v", err)
	}
}

func TestUnsupportedForOtherUser(t *testing.T) {
	g := newGroup(t)
	cred, dir := testexec.Nobody(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testexec.CopyExecutable(t, exe, dir), g.Path())
	cmd.Env = testexec.Environ("try-create")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("try-create: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.Contains(line, ": true ") {
			t.Errorf("want ErrUnsupported: %s", line)
		}
	}
	if entries, _ := os.ReadDir(g.Path()); slices.ContainsFunc(entries, fs.DirEntry.IsDir) {
		t.Errorf("another user created a group in %s", g.Path())
	}
}
