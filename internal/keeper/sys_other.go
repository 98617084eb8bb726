//go:build unix && !linux

package keeper

import (
	"os"
	"syscall"
)

// bornIn is never needed where there are no cgroups.
func bornIn(sys *syscall.SysProcAttr, cgroup *os.File) {}
