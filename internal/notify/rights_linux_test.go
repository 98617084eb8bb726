package notify

import "golang.org/x/sys/unix"

// sendWithFD sends state with a descriptor attached (SCM_RIGHTS).
func sendWithFD(path, state string, fd int) error {
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	return unix.Sendmsg(s, []byte(state), unix.UnixRights(fd), &unix.SockaddrUnix{Name: path}, 0)
}
