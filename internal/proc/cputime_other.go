//go:build !linux

package proc

import "time"

// CPUTime returns the CPU time that pid has used; where there is no /proc
// to read it from, it is not known (false).
func CPUTime(pid int) (time.Duration, bool) { return 0, false }
