package host

import (
	"fmt"
	"io"
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
	// refusing bounds the connections being refused at once.
	refusing chan struct{}
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
		select {
		case l.refusing <- struct{}{}:
			go func() {
				l.refuse(c, uid)
				<-l.refusing
			}()
		default:
			c.Close() // many at once: no answer
		}
	}
}

// refuse answers 403 and closes c: the request is read meanwhile (for a
// second at most), so that the client, still writing it, gets the answer
// rather than a broken pipe.
func (l *peerListener) refuse(c *net.UnixConn, uid int) {
	defer c.Close()
	body := fmt.Sprintf(`{"error":"permission denied: uid %d may not use the host of uid %d","code":"forbidden"}`+"\n", uid, l.euid)
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	c.CloseWrite()
	io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}
