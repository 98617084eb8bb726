package control

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func sockoptPeerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return -1, fmt.Errorf("getsockopt LOCAL_PEERCRED: %w", err)
	}
	return int(cred.Uid), nil
}
