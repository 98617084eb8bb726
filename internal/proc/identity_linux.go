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
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/stat")
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

// readProcFile reads a small /proc file with plain open/read/close. It
// costs three system calls where os.ReadFile costs nine (the os package
// also tries to register the descriptor with its poller and stats the
// file), which matters because a stop scans every process's stat.
func readProcFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 1024)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
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
