package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// MaxPath is the longest socket path Listen accepts: sun_path holds 108
// bytes, the terminating NUL included.
const MaxPath = 107

// ErrPathTooLong is wrapped when a socket path does not fit in sun_path.
var ErrPathTooLong = errors.New("notify: socket path too long")

// Server is a notify socket. Receive delivers its datagrams one at a time;
// Close stops it.
type Server struct {
	conn *net.UnixConn
	raw  syscall.RawConn
	addr string // NOTIFY_SOCKET value
	path string // file to remove at Close; "" for an abstract socket
}

// Listen creates a datagram socket at addr: a path (any stale socket there
// is replaced; the socket is made mode 0600), or "@name" for Linux's
// abstract namespace, which has no file permissions: only the credentials
// check keeps strangers out. A path longer than MaxPath is an error
// wrapping ErrPathTooLong; use an abstract name then.
func Listen(addr string) (*Server, error) {
	name, path := addr, addr
	if strings.HasPrefix(addr, "@") {
		name, path = "\x00"+addr[1:], ""
	}
	if len(name) > MaxPath {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrPathTooLong, addr, len(name), MaxPath)
	}
	if path != "" {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path)
		}
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify: listen on %s: %w", addr, err)
	}
	s := &Server{conn: conn, addr: addr, path: path}
	if path != "" {
		if err := os.Chmod(path, 0o600); err != nil {
			conn.Close()
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	raw, err := conn.SyscallConn()
	s.raw = raw
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: SO_PASSCRED on %s: %w", addr, err)
	}
	return s, nil
}

// Addr returns the value to put in the daemon's NOTIFY_SOCKET.
func (s *Server) Addr() string { return s.addr }

// Close closes the socket and removes its file; a blocked Receive returns
// net.ErrClosed.
func (s *Server) Close() error {
	err := s.conn.Close()
	if s.path != "" {
		os.Remove(s.path)
	}
	return err
}

// Receive waits for the next datagram and returns it with its sender's
// credentials. A datagram that it cannot accept (larger than MaxMessage,
// or without credentials) is dropped whole, any file descriptors sent
// along are closed, and the error is a *DroppedError: the socket is fine.
// Any other error means that the socket failed or was closed.
func (s *Server) Receive() (Datagram, error) {
	buf := make([]byte, MaxMessage)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*253))
	n, oobn, flags, err := s.recv(buf, oob)
	if err != nil {
		return Datagram{}, err
	}
	cred, ok := credentials(oob[:oobn])
	switch {
	case n > MaxMessage || flags&unix.MSG_TRUNC != 0:
		return Datagram{}, &DroppedError{Credentials: cred, Size: n,
			Why: fmt.Sprintf("an sd_notify message is at most %d bytes (systemd's limit too): send shorter ones", MaxMessage)}
	case !ok:
		return Datagram{}, &DroppedError{Credentials: cred, Size: n, Why: "it came without the sender's credentials"}
	}
	m, err := Parse(buf[:n])
	if err != nil {
		return Datagram{}, &DroppedError{Credentials: cred, Size: n, Why: err.Error()}
	}
	return Datagram{Credentials: cred, Message: m}, nil
}

// recv receives one datagram into buf and oob. n is the datagram's whole
// length (MSG_TRUNC), which is more than len(buf) when it did not fit.
func (s *Server) recv(buf, oob []byte) (n, oobn, flags int, err error) {
	rerr := s.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, flags, _, err = unix.Recvmsg(int(fd), buf, oob, unix.MSG_TRUNC|unix.MSG_CMSG_CLOEXEC|unix.MSG_DONTWAIT)
			if err != unix.EINTR {
				return err != unix.EAGAIN // false: wait until there is one
			}
		}
	})
	if rerr != nil {
		return 0, 0, 0, rerr
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("notify: receive on %s: %w", s.addr, err)
	}
	return n, oobn, flags, nil
}

// credentials finds SCM_CREDENTIALS in a control message, closing any
// descriptors passed with SCM_RIGHTS.
func credentials(oob []byte) (Credentials, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return Credentials{}, false
	}
	var c Credentials
	found := false
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Header.Type {
		case unix.SCM_CREDENTIALS:
			if uc, err := unix.ParseUnixCredentials(&m); err == nil {
				c, found = Credentials{PID: int(uc.Pid), UID: int(uc.Uid), GID: int(uc.Gid)}, true
			}
		case unix.SCM_RIGHTS:
			if fds, err := unix.ParseUnixRights(&m); err == nil {
				for _, fd := range fds {
					unix.Close(fd)
				}
			}
		}
	}
	return c, found && c.PID > 0
}
