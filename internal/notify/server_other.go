//go:build !linux

package notify

import "errors"

// MaxPath is the longest socket path Listen accepts.
const MaxPath = 103

// ErrPathTooLong is wrapped when a socket path does not fit in sun_path.
var ErrPathTooLong = errors.New("notify: socket path too long")

// ErrUnsupported is returned by Listen where the kernel does not pass a
// datagram's sender credentials (SCM_CREDENTIALS is Linux's).
var ErrUnsupported = errors.New("notify: not supported on this system")

// Server is a notify socket; see the Linux implementation.
type Server struct{}

// Listen returns ErrUnsupported.
func Listen(addr string) (*Server, error) { return nil, ErrUnsupported }

// Addr returns "".
func (s *Server) Addr() string { return "" }

// Close does nothing.
func (s *Server) Close() error { return nil }

// Receive returns ErrUnsupported.
func (s *Server) Receive() (Datagram, error) { return Datagram{}, ErrUnsupported }
