package control

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerUID returns the effective uid of the peer of c, as recorded by the
// kernel with LOCAL_PEERCRED.
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	var cred *unix.Xucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	if cerr != nil {
		return -1, fmt.Errorf("control: peer credentials: getsockopt LOCAL_PEERCRED: %w", cerr)
	}
	return int(cred.Uid), nil
}
