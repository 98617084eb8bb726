package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout is the [Server.Timeout] used when it is zero.
const DefaultTimeout = 5 * time.Second

// probeTimeout bounds the dial Listen uses to tell a live socket from a
// stale one.
const probeTimeout = time.Second

// ErrInUse is wrapped by [Listen]'s error when a server already answers on
// the socket path.
var ErrInUse = errors.New("control: socket in use")

// Handler answers one request. ctx is the context given to Serve. The
// handler runs in the connection's own goroutine, so it may block (for
// example until a stop completes); the client waits for as long as its own
// context allows. Panics are not recovered.
type Handler func(ctx context.Context, req Request) Response

// Server is a listening control socket. Set its exported fields before
// calling Serve.
type Server struct {
	// Logf, if not nil, is told about refused peers and failed exchanges,
	// one line per event. It is called from several goroutines at once.
	Logf func(format string, args ...any)

	// Timeout bounds reading a request and writing a response, so that a
	// silent or stuck client cannot pin a goroutine. It does not bound the
	// handler. Zero means DefaultTimeout.
	Timeout time.Duration

	path      string
	ln        *net.UnixListener
	sock      fs.FileInfo // the socket file we bound, so Close removes only ours
	euid      int
	closeOnce sync.Once
	closeErr  error
}

// Listen creates the control socket at path, mode 0600, and starts
// listening. If a socket file already exists there and nobody answers on
// it (a supervisor died without cleaning up), it is removed and replaced.
// If a server answers, Listen returns an error wrapping [ErrInUse]. It
// never removes anything that is not a socket.
//
// Listen is not a lock: two processes racing to replace the same stale
// socket can both succeed, and one of them then listens on a name that no
// longer reaches it. Callers serialise with a lock file (state.Dir.LockFile)
// held for the supervisor's lifetime.
func Listen(path string) (*Server, error) {
	if max := len(syscall.RawSockaddrUnix{}.Path) - 1; len(path) > max {
		return nil, fmt.Errorf("control: socket path %s is %d bytes, longer than the system limit of %d; "+
			"use a shorter state directory (TEND_HOME)", path, len(path), max)
	}
	for attempt := 0; ; attempt++ {
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err == nil {
			return newServer(path, ln)
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 2 {
			return nil, fmt.Errorf("control: listen on %s: %w", path, err)
		}
		if err := removeStale(path); err != nil {
			return nil, err
		}
	}
}

func newServer(path string, ln *net.UnixListener) (*Server, error) {
	ln.SetUnlinkOnClose(false) // Close removes the file itself, and only if it is still ours
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	return &Server{path: path, ln: ln, sock: fi, euid: os.Geteuid()}, nil
}

// removeStale removes the socket file at path if nobody answers on it.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone meanwhile; bind again
	}
	if err != nil {
		return fmt.Errorf("control: listen on %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control: listen on %s: the path exists and is not a socket (%v); "+
			"refusing to remove it: move it away by hand", path, fi.Mode().Type())
	}
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: another server is answering on %s; stop it first", ErrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control: listen on %s: the socket exists and cannot be probed: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control: remove stale socket: %w", err)
	}
	return nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Close stops accepting connections and removes the socket file, unless
// it has been replaced by another file meanwhile. Connections already
// accepted run to completion; Serve waits for them. Close may be called
// more than once, and from a handler.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.ln.Close()
		if fi, err := os.Lstat(s.path); err == nil && os.SameFile(fi, s.sock) {
			if err := os.Remove(s.path); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("control: close %s: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

// Serve accepts connections until ctx is done or Close is called, and
// answers each in its own goroutine with h. It then closes the server,
// waits for the handlers still running, and returns nil. A shortage of
// file descriptors or memory is logged and retried with backoff; any other
// accept error closes the server and is returned. Serve must be called at
// most once.
func (s *Server) Serve(ctx context.Context, h Handler) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()

	var backoff time.Duration
	for {
		c, err := s.ln.AcceptUnix()
		if err == nil {
			backoff = 0
			wg.Go(func() { s.serveConn(ctx, c, h) })
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			s.Close() // waits for a concurrent Close to finish removing the file
			return nil
		}
		if !resourceShortage(err) {
			s.Close()
			return fmt.Errorf("control: accept on %s: %w", s.path, err)
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		s.logf("control: accept on %s: %v; retrying in %v", s.path, err, backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
}

func resourceShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// serveConn checks the peer, reads one request, runs h and writes the
// response.
func (s *Server) serveConn(ctx context.Context, c *net.UnixConn, h Handler) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(s.timeout()))
	uid, err := peerUID(c)
	if err != nil {
		s.logf("%v; refusing connection on %s", err, s.path)
		s.reply(c, Response{Error: err.Error()})
		return
	}
	if !trusted(uid, s.euid) {
		s.logf("control: %s: refused a connection from uid %d (only uid %d and root are served)", s.path, uid, s.euid)
		s.reply(c, Response{Error: fmt.Sprintf("control: permission denied: uid %d may not control "+
			"this supervisor, which serves only uid %d and root", uid, s.euid)})
		return
	}
	var req Request
	if err := decode(c, &req); err != nil {
		err = fmt.Errorf("control: read request on %s: %w", s.path, err)
		s.logf("%v", err)
		s.reply(c, Response{Error: err.Error()})
		return
	}
	if req.Op == "" {
		s.reply(c, Response{Error: "control: request has no Op"})
		return
	}
	if clientGone(c) {
		s.logf("control: %s: the client of a %s request left before it was read; not carried out", s.path, req.Op)
		return
	}
	if !req.Deadline.IsZero() {
		if time.Now().After(req.Deadline) {
			s.logf("control: %s: a %s request came after its client's deadline (%s); not carried out", s.path, req.Op, req.Deadline.Format(time.RFC3339Nano))
			s.reply(c, Response{Error: "control: the request arrived after its client stopped waiting; it was not carried out", Code: CodeExpired})
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	s.reply(c, h(ctx, req))
}

// reply writes resp, replacing it with an error Response if it cannot be
// encoded.
func (s *Server) reply(c *net.UnixConn, resp Response) {
	msg, err := encode(resp)
	if err != nil {
		s.logf("control: %s: %v", s.path, err)
		msg, _ = encode(Response{Error: "control: the supervisor could not encode its response: " + err.Error()})
	}
	c.SetWriteDeadline(time.Now().Add(s.timeout()))
	if _, err := c.Write(msg); err != nil {
		s.logf("control: %s: write response: %v", s.path, err)
	}
}

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// trusted reports whether a peer running as uid may talk to us, running as
// euid: the same user, or root.
func trusted(uid, euid int) bool { return uid == euid || uid == 0 }
