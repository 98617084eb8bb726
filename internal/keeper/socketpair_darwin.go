package keeper

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// cloexecSocketpair makes a socket pair whose descriptors no child
// inherits. macOS has no SOCK_CLOEXEC: the pair is made under
// syscall.ForkLock, and marked close-on-exec before a fork can copy it.
func cloexecSocketpair(domain, typ, proto int) ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := unix.Socketpair(domain, typ, proto)
	if err != nil {
		return fds, err
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	return fds, nil
}
