//go:build !linux && !darwin

package control

import (
	"errors"
	"fmt"
	"net"
	"runtime"
)

// peerUID is not implemented here, so both sides refuse every peer rather
// than serve one they cannot identify.
func peerUID(*net.UnixConn) (int, error) {
	return -1, fmt.Errorf("control: peer credentials are not implemented on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
