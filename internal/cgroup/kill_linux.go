package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// signal pins each listed process with a pidfd, lists the group again, and
// signals through the pidfd the processes still listed. If the pidfd's
// process is alive when signalled, it was alive at the second listing, so
// the pid listed then was its own: a pid reused by a process outside the
// group cannot be hit. Kernels before 5.3 lack pidfds; there it falls back
// to kill(2) on the first listing.
func (g *Group) signal(sig syscall.Signal) (int, error) {
	pids, err := g.procs()
	if err != nil {
		return 0, err
	}
	fds := make(map[int]int, len(pids))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		switch {
		case err == unix.ENOSYS:
			return killPids(pids, sig)
		case err == unix.ESRCH:
			continue
		case err != nil:
			return 0, fmt.Errorf("pidfd_open %d: %w", pid, err)
		}
		fds[pid] = fd
	}
	still, err := g.procs()
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, pid := range still {
		fd, ok := fds[pid]
		if !ok {
			continue // forked since the first listing
		}
		switch err := unix.PidfdSendSignal(fd, sig, nil, 0); err {
		case nil:
			n++
		case unix.ESRCH:
		default:
			errs = append(errs, fmt.Errorf("pid %d: %w", pid, err))
		}
	}
	return n, errors.Join(errs...)
}

// killPids sends sig to pids with kill(2), skipping those that have exited.
func killPids(pids []int, sig syscall.Signal) (int, error) {
	n := 0
	var errs []error
	for _, pid := range pids {
		switch err := unix.Kill(pid, sig); err {
		case nil:
			n++
		case unix.ESRCH:
		default:
			errs = append(errs, fmt.Errorf("pid %d: %w", pid, err))
		}
	}
	return n, errors.Join(errs...)
}

// kill writes to cgroup.kill, or where the kernel lacks it, kills each
// process until none is left.
func (g *Group) kill() error {
	f, err := os.OpenFile(filepath.Join(g.path, "cgroup.kill"), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if err := unix.Access(g.path, unix.F_OK); err != nil {
			return err
		}
		return g.killAll(killTimeout)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString("1")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// killAll sends SIGKILL to the group's processes, over and over, until the
// group lists none. Repeating catches the processes forked between a
// listing and the signals; a process leaves the listing when it exits.
func (g *Group) killAll(timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Millisecond) {
		if _, err := g.signal(syscall.SIGKILL); err != nil {
			return err
		}
		pids, err := g.procs()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d processes left after %v of SIGKILL: %v", len(pids), timeout, pids)
		}
	}
}

// remove removes the tree of groups once it is empty, waiting up to
// timeout for its processes to leave. It touches nothing while a process
// lives below, and then retries while rmdir finds a group busy: the kernel
// may still be releasing a process that has already left the count.
func (g *Group) remove(timeout time.Duration) error {
	delay := time.Millisecond
	for deadline := time.Now().Add(timeout); ; {
		populated, err := g.populated()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !populated {
			err = removeTree(g.path)
			if !errors.Is(err, unix.EBUSY) {
				return err
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("processes still running")
			}
			return fmt.Errorf("%w: %w (for %v)", ErrPopulated, err, timeout)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// removeTree removes the groups below dir, deepest first, then dir. A group
// already gone counts as removed.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && err != unix.ENOENT {
		return &fs.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return nil
}
