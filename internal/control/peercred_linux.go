package control

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func sockoptPeerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return -1, fmt.Errorf("getsockopt SO_PEERCRED: %w", err)
	}
	return int(cred.Uid), nil
}
