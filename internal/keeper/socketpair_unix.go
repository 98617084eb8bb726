//go:build unix && !darwin

package keeper

import "golang.org/x/sys/unix"

// cloexecSocketpair makes a socket pair whose descriptors no child
// inherits (SOCK_CLOEXEC; socketpair_darwin.go does without).
func cloexecSocketpair(domain, typ, proto int) ([2]int, error) {
	return unix.Socketpair(domain, typ|unix.SOCK_CLOEXEC, proto)
}
