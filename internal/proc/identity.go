package proc

import (
	"fmt"
	"syscall"
)

// Identity names one process unambiguously: a pid plus the process's start
// time, in clock ticks since boot (field 22 of /proc/PID/stat), so that a
// reused pid is never mistaken for it. The zero Identity names no process.
// Identity is a small value, safe to copy, compare and store as JSON.
type Identity struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
}

// String formats id as "pid 1234 (start 5678)".
func (id Identity) String() string {
	return fmt.Sprintf("pid %d (start %d)", id.PID, id.StartTime)
}

// Self returns the Identity of the calling process.
func Self() (Identity, error) {
	return Lookup(syscall.Getpid())
}

// Lookup returns the Identity of the process that holds pid now. It returns
// an error wrapping ErrNotFound when no such process exists.
func Lookup(pid int) (Identity, error) {
	s, err := readStat(pid)
	if err != nil {
		return Identity{}, err
	}
	return Identity{PID: s.PID, StartTime: s.StartTime}, nil
}

// Alive reports whether the process id names still exists, has not been
// replaced by another holder of its pid, and is not a zombie.
func (id Identity) Alive() bool {
	if id.PID <= 0 {
		return false
	}
	s, err := readStat(id.PID)
	return err == nil && s.StartTime == id.StartTime && s.State != 'Z' && s.State != 'X'
}

// Signal sends sig to the process id names, and only to it. It returns an
// error wrapping ErrNotFound when the process is gone and ErrStale when its
// pid now belongs to another process. On Linux it pins the process with a
// pidfd before checking the start time, so no pid-reuse race remains.
// Signal 0 checks for existence without sending anything.
func (id Identity) Signal(sig syscall.Signal) error {
	if id.PID <= 0 {
		return fmt.Errorf("proc: signal %s: %w", id, ErrNotFound)
	}
	return signalVerified(id, sig)
}

// SignalGroup sends sig to the whole process group that id leads: it
// verifies the identity and that the process's pgid equals its pid, then
// calls kill(-pid, sig). It returns ErrNotFound or ErrStale as Signal does,
// and ErrNotGroupLeader when the process does not lead its own group.
//
// A group keeps its id while any member lives, and the kernel never hands
// out a pid that is in use as a process-group id, so once the leader is
// verified, -pid cannot name a different group.
func (id Identity) SignalGroup(sig syscall.Signal) error {
	if id.PID <= 0 {
		return fmt.Errorf("proc: signal group of %s: %w", id, ErrNotFound)
	}
	return signalGroupVerified(id, sig)
}

// ProcessGroup returns the id of the process group the process id names
// belongs to, with ErrNotFound or ErrStale as Signal reports them.
func (id Identity) ProcessGroup() (int, error) {
	s, err := id.check()
	if err != nil {
		return 0, err
	}
	return s.PGID, nil
}

// check reads the process's stat and verifies it still matches id.
func (id Identity) check() (stat, error) {
	s, err := readStat(id.PID)
	if err != nil {
		return s, err
	}
	if s.StartTime != id.StartTime {
		return s, fmt.Errorf("proc: %s: now started at %d: %w", id, s.StartTime, ErrStale)
	}
	return s, nil
}

// Parent returns the pid of pid's parent. It returns an error wrapping
// ErrNotFound when pid does not exist.
func Parent(pid int) (int, error) {
	s, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return s.PPID, nil
}

// RunState returns the state letter of pid from /proc/PID/stat: R
// running, S sleeping, D in uninterruptible sleep, T stopped, t traced,
// Z zombie, and so on (see proc(5)).
func RunState(pid int) (byte, error) {
	s, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return s.State, nil
}
