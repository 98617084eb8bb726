package keeper

import (
	"os"
	"syscall"
)

// bornIn has the child born in the cgroup whose directory cgroup is
// (clone3 with CLONE_INTO_CGROUP).
func bornIn(sys *syscall.SysProcAttr, cgroup *os.File) {
	sys.UseCgroupFD, sys.CgroupFD = true, int(cgroup.Fd())
}
