//go:build linux || darwin

package control

import (
	"fmt"
	"net"
)

// peerUID returns the effective uid of the peer of c as the kernel recorded
// it when the connection was made (for a client: when the server called
// listen); sockoptPeerUID is the system's way to ask for it.
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	uid, cerr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { uid, cerr = sockoptPeerUID(int(fd)) }); err != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", err)
	}
	if cerr != nil {
		return -1, fmt.Errorf("control: peer credentials: %w", cerr)
	}
	return uid, nil
}
