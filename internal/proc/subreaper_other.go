//go:build !linux

package proc

import "fmt"

// SetChildSubreaper marks the calling process as a child subreaper on Linux.
// Elsewhere it returns ErrUnsupported.
func SetChildSubreaper() error {
	return fmt.Errorf("proc: set child subreaper: %w", ErrUnsupported)
}
