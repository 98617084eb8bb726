package cgroup

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

// family starts, in g and a sub-group, a plain helper, one that ignores
// SIGTERM, and an orphaned grandchild in its own session, and returns their
// pids in that order.
func family(t *testing.T, g *Group) (plain, deaf *child, orphan int) {
	t.Helper()
	sub, err := g.Sub("sub")
	if err != nil {
		t.Fatal(err)
	}
	plain = startIn(t, g, "pause")
	deaf = startIn(t, sub, "ignore-term")
	spawner := startIn(t, sub, "spawn-grandchild")
	reapOrphan(t, spawner.pid)
	if err := spawner.cmd.Wait(); err != nil {
		t.Fatalf("spawn-grandchild: %v", err)
	}
	return plain, deaf, spawner.pid
}

// waitEmpty waits for the group to hold no live process.
func waitEmpty(t *testing.T, g *Group) {
	t.Helper()
	testexec.WaitFor(t, 10*time.Second, "the group to empty", func() bool {
		p, err := g.Populated()
		if err != nil {
			t.Fatal(err)
		}
		return !p
	})
}

// wantSignalled checks that helper c was ended by sig.
func wantSignalled(t *testing.T, c *child, sig syscall.Signal) {
	t.Helper()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != sig {
		t.Errorf("helper %d: %v, want killed by %v", c.pid, err, sig)
	}
}

// wantOrphanSignalled reaps the orphan pid and checks that sig ended it.
// It polls: the orphan may leave its group a moment before it can be reaped.
func wantOrphanSignalled(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	var ws unix.WaitStatus
	testexec.WaitFor(t, 10*time.Second, "the orphan to be reapable", func() bool {
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil {
			t.Fatalf("wait for orphan %d: %v", pid, err)
		}
		return wpid == pid
	})
	if !ws.Signaled() || ws.Signal() != sig {
		t.Errorf("orphan %d: status %#x, want killed by %v", pid, ws, sig)
	}
}

func TestSignalReachesAll(t *testing.T) {
	g := newGroup(t)
	plain, deaf, orphan := family(t, g)
	n, err := g.Signal(syscall.SIGTERM)
	if err != nil || n != 3 {
		t.Fatalf("Signal = %d, %v; want 3", n, err)
	}
	wantSignalled(t, plain, syscall.SIGTERM)
	testexec.WaitFor(t, 10*time.Second, "only the SIGTERM-deaf helper left", func() bool {
		pids, err := g.Procs()
		return err == nil && slices.Equal(pids, []int{deaf.pid})
	})
	wantOrphanSignalled(t, orphan, syscall.SIGTERM)
	if n, err := g.Signal(syscall.SIGCONT); err != nil || n != 1 {
		t.Errorf("Signal to the survivor = %d, %v; want 1", n, err)
	}
}

func TestKillEndsAll(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(g *Group) error
	}{
		{"cgroup.kill", (*Group).Kill},
		{"fallback", func(g *Group) error { return g.killAll(killTimeout) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGroup(t)
			plain, deaf, orphan := family(t, g)
			if err := tc.kill(g); err != nil {
				t.Fatal(err)
			}
			waitEmpty(t, g)
			if pids, err := g.Procs(); err != nil || len(pids) > 0 {
				t.Errorf("Procs() = %v, %v after Kill", pids, err)
			}
			wantSignalled(t, plain, syscall.SIGKILL)
			wantSignalled(t, deaf, syscall.SIGKILL)
			wantOrphanSignalled(t, orphan, syscall.SIGKILL)
		})
	}
}

func TestKillMissingGroup(t *testing.T) {
	g := newGroup(t)
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := g.Kill(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Kill of a removed group: err = %v, want ErrNotExist", err)
	}
}

// A process leaves the group's listing and count when it exits, before its
// parent reaps it: Kill's fallback and Remove rely on that.
func TestExitedLeavesBeforeReap(t *testing.T) {
	g := newGroup(t)
	c := startIn(t, g, "pause")
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitEmpty(t, g)
	if pids, err := g.Procs(); err != nil || len(pids) > 0 {
		t.Errorf("Procs() = %v, %v after the exit", pids, err)
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(c.pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	if _, after, _ := strings.Cut(string(stat), ") "); !strings.HasPrefix(after, "Z") {
		t.Errorf("child not a zombie: %s", stat)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("Remove with an unreaped zombie: %v", err)
	}
}
