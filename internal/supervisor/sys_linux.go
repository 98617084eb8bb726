package supervisor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitable reports whether pid is a child of this process, exited or not,
// still to be reaped: waitid with WNOWAIT looks without reaping.
func waitable(pid int) bool {
	var info unix.Siginfo
	return unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil) == nil
}

// bornIn has the child started with sys born in the cgroup whose
// directory cgroup is (clone3 with CLONE_INTO_CGROUP).
func bornIn(sys *syscall.SysProcAttr, cgroup *os.File) {
	sys.UseCgroupFD, sys.CgroupFD = true, int(cgroup.Fd())
}
