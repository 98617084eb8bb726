package control

import (
	"net"

	"golang.org/x/sys/unix"
)

// clientGone reports whether the client has closed its end of c: one that
// gave up (killed, or past its own timeout) while its request waited, for
// instance in a stopped supervisor's backlog. A client writes nothing
// after its request, so a peek that finds the end of the stream means it
// left; one that finds nothing to read means it waits.
func clientGone(c *net.UnixConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		gone = n == 0 && err == nil || err == unix.ECONNRESET
		return true // never wait
	})
	return gone
}
