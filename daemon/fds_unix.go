//go:build unix

package daemon

import "golang.org/x/sys/unix"

// closeStrayOnExecByRange is the fallback when /proc is not there: every
// descriptor up to the soft RLIMIT_NOFILE (bounded) that is not kept.
func closeStrayOnExecByRange(keep map[int]bool) {
	var rl unix.Rlimit
	max := 1024
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 65536 {
		max = int(rl.Cur)
	}
	for fd := 3; fd < max; fd++ {
		if !keep[fd] {
			unix.CloseOnExec(fd)
		}
	}
}
