//go:build linux

package proc

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

func TestSelf(t *testing.T) {
	id, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if id.PID != os.Getpid() || id.StartTime == 0 {
		t.Fatalf("Self() = %v", id)
	}
	if !id.Alive() {
		t.Errorf("%v.Alive() = false", id)
	}
	if err := id.Signal(0); err != nil {
		t.Errorf("%v.Signal(0) = %v", id, err)
	}
	stale := Identity{PID: id.PID, StartTime: id.StartTime + 1}
	if stale.Alive() {
		t.Errorf("%v.Alive() = true for a wrong start time", stale)
	}
}

func TestLookupNotFound(t *testing.T) {
	// pid_max is at most 2^22, so this pid can never exist.
	for _, pid := range []int{1 << 30, 0, -1} {
		if _, err := Lookup(pid); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%d) error = %v, want ErrNotFound", pid, err)
		}
		id := Identity{PID: pid, StartTime: 1}
		if err := id.Signal(syscall.SIGTERM); !errors.Is(err, ErrNotFound) {
			t.Errorf("%v.Signal error = %v, want ErrNotFound", id, err)
		}
		if err := id.SignalGroup(syscall.SIGTERM); !errors.Is(err, ErrNotFound) {
			t.Errorf("%v.SignalGroup error = %v, want ErrNotFound", id, err)
		}
		if id.Alive() {
			t.Errorf("%v.Alive() = true", id)
		}
	}
}

func TestSignalVerified(t *testing.T) {
	cmd := helperCommand(t, "sleep")
	startHelper(t, cmd)
	id, err := Lookup(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Alive() {
		t.Fatalf("%v not alive", id)
	}
	stale := Identity{PID: id.PID, StartTime: id.StartTime - 1}
	if err := stale.Signal(syscall.SIGKILL); !errors.Is(err, ErrStale) {
		t.Fatalf("stale Signal error = %v, want ErrStale", err)
	}
	if err := stale.SignalGroup(syscall.SIGKILL); !errors.Is(err, ErrStale) {
		t.Fatalf("stale SignalGroup error = %v, want ErrStale", err)
	}
	if err := id.SignalGroup(syscall.SIGKILL); !errors.Is(err, ErrNotGroupLeader) {
		t.Fatalf("SignalGroup of a non-leader: error = %v, want ErrNotGroupLeader", err)
	}
	if !id.Alive() {
		t.Fatal("a refused signal killed the process")
	}
	if err := id.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("helper ended with %v, want SIGTERM", err)
	}
	if id.Alive() {
		t.Error("reaped process still Alive")
	}
	if err := id.Signal(syscall.SIGTERM); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrStale) {
		t.Errorf("Signal to a reaped process: error = %v, want ErrNotFound", err)
	}
}

func TestGroupAndDescendants(t *testing.T) {
	cmd := helperCommand(t, "spawn-child")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	line := startHelper(t, cmd)
	grandchild, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("helper printed %q", line)
	}
	child := cmd.Process.Pid

	kids, err := Children(os.Getpid())
	if err != nil || !slices.Contains(kids, child) {
		t.Fatalf("Children(self) = %v, %v; want to contain %d", kids, err, child)
	}
	if kids, err := Children(child); err != nil || !slices.Equal(kids, []int{grandchild}) {
		t.Fatalf("Children(%d) = %v, %v; want [%d]", child, kids, err, grandchild)
	}
	all, err := Descendants(os.Getpid())
	if err != nil || !slices.Contains(all, child) || !slices.Contains(all, grandchild) ||
		slices.Index(all, child) > slices.Index(all, grandchild) {
		t.Fatalf("Descendants(self) = %v, %v; want %d before %d", all, err, child, grandchild)
	}
	if scanned, err := scanChildren(child); err != nil || !slices.Equal(scanned, []int{grandchild}) {
		t.Fatalf("scanChildren(%d) = %v, %v", child, scanned, err)
	}
	if _, err := Children(1 << 30); !errors.Is(err, ErrNotFound) {
		t.Errorf("Children(no such pid) error = %v", err)
	}

	id, err := Lookup(child)
	if err != nil {
		t.Fatal(err)
	}
	gid, err := Lookup(grandchild)
	if err != nil {
		t.Fatal(err)
	}
	if err := id.SignalGroup(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The grandchild is in the group too; it is reparented to init (or a
	// subreaper) and reaped there.
	testexec.WaitFor(t, 10*time.Second, "grandchild to die", func() bool { return !gid.Alive() })
}

func TestSetChildSubreaper(t *testing.T) {
	cmd := helperCommand(t, "subreaper")
	out, err := cmd.Output()
	if err != nil || string(out) != "reparented\n" {
		t.Fatalf("subreaper helper: %q, %v", out, err)
	}
}

func TestProcessGroup(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := self.ProcessGroup()
	if err != nil || pgid != syscall.Getpgrp() {
		t.Fatalf("ProcessGroup() = %d, %v; want %d", pgid, err, syscall.Getpgrp())
	}
	members, err := GroupMembers(pgid)
	if err != nil || !slices.Contains(members, os.Getpid()) {
		t.Fatalf("GroupMembers(%d) = %v, %v", pgid, members, err)
	}
	stale := Identity{PID: self.PID, StartTime: self.StartTime + 1}
	if _, err := stale.ProcessGroup(); !errors.Is(err, ErrStale) {
		t.Errorf("stale ProcessGroup error = %v", err)
	}
}
