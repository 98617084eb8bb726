package host

import (
	"net"

	"github.com/tendhq/tend/internal/control"
)

// peerListener accepts only connections of its own user (or root): the
// socket's mode already keeps others out, and the peer's credentials,
// which the kernel recorded, make sure.
type peerListener struct {
	*net.UnixListener
	euid int
	logf func(format string, args ...any)
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := control.PeerUID(c)
		if err == nil && (uid == l.euid || uid == 0) {
			return c, nil
		}
		l.logf("refused a connection from uid %d (%v)", uid, err)
		c.Close()
	}
}
