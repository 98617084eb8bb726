package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/api"
)

// What a hostile or broken client can cost the host, and how it is
// bounded: a header never sent (serverTimeouts), a body too large or too
// slow (guardBodies), connections by the thousand (limitConns).

const (
	// bodyTimeout is how long a client has to send a request's body.
	bodyTimeout = 10 * time.Second
	// maxConns bounds the connections the host's socket serves at once,
	// maxRemoteConns those of the TCP address (tend api listen); past
	// them a connection is answered 503 and closed.
	maxConns       = 1000
	maxRemoteConns = 256
)

// serverTimeouts sets the limits of a server of the API: a request's
// header must come within 10 s, an idle connection is closed after 2
// minutes, and a header is at most 64 KiB. There is no overall read or
// write timeout: events and logs stream for as long as their client reads.
func serverTimeouts(srv *http.Server) *http.Server {
	srv.ReadHeaderTimeout = 10 * time.Second
	srv.IdleTimeout = 2 * time.Minute
	srv.MaxHeaderBytes = 64 << 10
	return srv
}

// guardBodies reads a request's body, at most maxBody bytes within
// bodyTimeout, before next runs: a body too large is refused with 413, one
// too slow with 408, and no handler waits for a client that sends
// nothing.
func guardBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := api.Error{Message: fmt.Sprintf("the body is larger than %d bytes, the most the host reads", maxBody), Code: api.CodeTooLarge}
		if r.ContentLength > maxBody {
			writeJSON(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(bodyTimeout))
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(b) > maxBody {
			// The deadline stays: the server reads what is left of the
			// body before it answers, and the connection is closed.
			w.Header().Set("Connection", "close")
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
			writeJSON(w, http.StatusRequestTimeout, api.Error{Message: fmt.Sprintf("the body did not come within %v", bodyTimeout), Code: api.CodeBadRequest})
			return
		case err != nil:
			writeError(w, fmt.Errorf("%w: reading the body: %w", errBadRequest, err))
			return
		case len(b) > maxBody:
			writeJSON(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		rc.SetReadDeadline(time.Time{})
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

// limitConns serves at most max connections of ln at once; one more is
// answered 503 (a few at a time, for a second at most) and closed.
func limitConns(ln net.Listener, max int, logf func(string, ...any)) net.Listener {
	return &connLimit{Listener: ln, slots: make(chan struct{}, max), refusing: make(chan struct{}, 16), logf: logf}
}

type connLimit struct {
	net.Listener
	slots    chan struct{}
	refusing chan struct{}
	logf     func(string, ...any)
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, slots: l.slots}, nil
		default:
		}
		select {
		case l.refusing <- struct{}{}:
			l.logf("refused a connection: %d are served already", cap(l.slots))
			go func() {
				busy(c, cap(l.slots))
				<-l.refusing
			}()
		default:
			c.Close()
		}
	}
}

// busy answers 503 on c and closes it: the request is read meanwhile
// (for a second at most), so that the client, still writing it, gets the
// answer rather than a broken pipe.
func busy(c net.Conn, n int) {
	defer c.Close()
	body := fmt.Sprintf(`{"error":"the host serves %d connections already: close some, and try again","code":%q}`+"\n", n, api.CodeBusy)
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	slots chan struct{}
	once  sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { <-c.slots })
	return c.Conn.Close()
}
