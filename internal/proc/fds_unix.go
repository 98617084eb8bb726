//go:build unix

package proc

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseOnExecExcept marks every open descriptor above 2 that keep does not
// name close-on-exec, so that descriptors this process inherited without
// that flag (a shell's leaked fd, say) do not reach the programs it
// starts. It reads /proc/self/fd, or where there is none tries every
// descriptor up to the soft RLIMIT_NOFILE (at most 65536).
func CloseOnExecExcept(keep map[int]bool) {
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 && !keep[fd] {
				unix.CloseOnExec(fd)
			}
		}
		return
	}
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
