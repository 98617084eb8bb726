//go:build !linux

package notify

import "os"

// File is not supported where Listen is not.
func (s *Server) File() (*os.File, error) { return nil, ErrUnsupported }

// FromFile is not supported where Listen is not.
func FromFile(f *os.File) (*Server, error) { return nil, ErrUnsupported }
