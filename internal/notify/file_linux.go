package notify

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// File returns a copy of the socket's descriptor, for a process that
// keeps it while no server runs (tend's keeper): datagrams sent meanwhile
// wait in the socket, for the server made of it again by FromFile.
func (s *Server) File() (*os.File, error) { return s.conn.File() }

// FromFile makes a Server of a socket that Listen made (File's copy);
// the caller keeps f. Its address is read from the socket; closing the
// Server removes the socket's file, as for Listen's.
func FromFile(f *os.File) (*Server, error) {
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	conn, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("notify: %s is not a unix socket", f.Name())
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: %w", err)
	}
	s := &Server{conn: conn, raw: raw}
	var sa unix.Sockaddr
	var serr error
	raw.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) })
	ua, ok := sa.(*unix.SockaddrUnix)
	if serr != nil || !ok {
		conn.Close()
		return nil, fmt.Errorf("notify: the kept socket has no address (%v)", serr)
	}
	s.addr, s.path = ua.Name, ua.Name
	if len(ua.Name) > 0 && (ua.Name[0] == 0 || ua.Name[0] == '@') {
		s.addr, s.path = "@"+ua.Name[1:], ""
	}
	return s, nil
}
