package proc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// readStat reads and parses /proc/PID/stat.
func readStat(pid int) (stat, error) {
	if pid <= 0 {
		return stat{}, fmt.Errorf("proc: pid %d: %w", pid, ErrNotFound)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return stat{}, fmt.Errorf("proc: pid %d: %w", pid, ErrNotFound)
		}
		return stat{}, fmt.Errorf("proc: pid %d: %w", pid, err)
	}
	s, err := parseStat(b)
	if err != nil {
		return s, fmt.Errorf("proc: pid %d: %w", pid, err)
	}
	return s, nil
}

// signalVerified pins the process with a pidfd, checks its start time, and
// signals through the pidfd: once the pidfd is open, the pid may be reused
// but the pidfd still names the original process, so a start-time match
// proves the signal reaches the right one.
func signalVerified(id Identity, sig syscall.Signal) error {
	fd, err := unix.PidfdOpen(id.PID, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return fmt.Errorf("proc: signal %s: %w", id, ErrNotFound)
	case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM):
		// No pidfd (old kernel, or seccomp): check, then kill.
		if _, err := id.check(); err != nil {
			return err
		}
		return kill(id, id.PID, sig)
	case err != nil:
		return fmt.Errorf("proc: signal %s: pidfd_open: %w", id, err)
	}
	defer unix.Close(fd)
	if _, err := id.check(); err != nil {
		return err
	}
	err = unix.PidfdSendSignal(fd, sig, nil, 0)
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("proc: signal %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("proc: signal %s with %s: %w", id, SignalName(sig), err)
	}
	return nil
}

// signalGroupVerified checks that id still names the process and that it
// leads its group, holding a pidfd across the check where possible so the
// leader cannot be replaced in between.
func signalGroupVerified(id Identity, sig syscall.Signal) error {
	if fd, err := unix.PidfdOpen(id.PID, 0); err == nil {
		defer unix.Close(fd)
	} else if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("proc: signal group of %s: %w", id, ErrNotFound)
	}
	s, err := id.check()
	if err != nil {
		return err
	}
	if s.PGID != id.PID {
		return fmt.Errorf("proc: signal group of %s: in group %d: %w", id, s.PGID, ErrNotGroupLeader)
	}
	return kill(id, -id.PID, sig)
}

func kill(id Identity, target int, sig syscall.Signal) error {
	err := unix.Kill(target, sig)
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("proc: signal %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("proc: signal %s with %s: %w", id, SignalName(sig), err)
	}
	return nil
}
