package host

import (
	"fmt"
	"net"
	"time"

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
		// An answer it can read, before the door closes.
		body := fmt.Sprintf(`{"error":"permission denied: uid %d may not use the host of uid %d","code":"forbidden"}`+"\n", uid, l.euid)
		c.SetWriteDeadline(time.Now().Add(time.Second))
		fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		c.Close()
	}
}
