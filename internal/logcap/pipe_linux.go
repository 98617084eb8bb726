package logcap

import (
	"os"

	"golang.org/x/sys/unix"
)

// growPipe enlarges the kernel buffer of a pipe to size bytes (capped by
// /proc/sys/fs/pipe-max-size), so each read(2) returns more lines and the
// child and the capture switch less often. Errors are ignored: r may not be
// a pipe, and the default size works, only slower.
func growPipe(f *os.File, size int) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size)
	})
}
