//go:build !linux

package supervisor

import (
	"os"
	"syscall"
)

// waitable is false where exits are not watched by pidfd: the reaper tells
// of every exit it can know.
func waitable(pid int) bool { return false }

// bornIn is never needed where there are no cgroups.
func bornIn(sys *syscall.SysProcAttr, cgroup *os.File) {}
