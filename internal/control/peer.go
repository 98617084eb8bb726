package control

import "net"

// PeerUID returns the effective uid of the process at the other end of
// c, as the kernel recorded it when the connection was made: how a
// server on a private socket refuses every other user, whatever the
// socket file's mode.
func PeerUID(c *net.UnixConn) (int, error) { return peerUID(c) }
