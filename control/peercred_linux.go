package control

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerUID returns the effective uid the peer of c had when the connection
// was made (for a client: when the server called listen), as recorded by
// the kernel with SO_PEERCRED.
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	if cerr != nil {
		return -1, fmt.Errorf("control: peer credentials: getsockopt SO_PEERCRED: %w", cerr)
	}
	return int(cred.Uid), nil
}
