package proc

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// WatchExit returns a channel that is closed when the process id names
// exits (at once if it already has, or if its pid now names another
// process), for processes that are not the caller's children and so
// raise no SIGCHLD here. It waits on a pidfd in Go's poller: no thread,
// no polling. stop releases the watch; call it when no longer interested.
func WatchExit(id Identity) (exited <-chan struct{}, stop func(), err error) {
	c := make(chan struct{})
	fd, err := unix.PidfdOpen(id.PID, unix.PIDFD_NONBLOCK)
	if err != nil {
		if err == unix.ESRCH {
			close(c)
			return c, func() {}, nil
		}
		return nil, nil, fmt.Errorf("proc: watch %v: %w", id, err)
	}
	// The pidfd pins the process it was opened for: check that it is
	// still the one we mean.
	if !id.Alive() {
		unix.Close(fd)
		close(c)
		return c, func() {}, nil
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("proc: watch %v: %w", id, err)
	}
	go func() {
		defer close(c)
		waited := false
		rc.Read(func(uintptr) bool {
			if !waited {
				waited = true
				return false // wait until it becomes readable: the process exited
			}
			return true
		})
	}()
	return c, func() { f.Close() }, nil
}
