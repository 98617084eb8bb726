//go:build !linux

package proc

import "errors"

// WatchExit is not available without pidfds.
func WatchExit(id Identity) (exited <-chan struct{}, stop func(), err error) {
	return nil, nil, errors.ErrUnsupported
}
