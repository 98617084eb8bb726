//go:build !linux

package proc

import "fmt"

// Children returns the pids of pid's direct children on Linux. Elsewhere it
// returns ErrUnsupported.
func Children(pid int) ([]int, error) {
	return nil, fmt.Errorf("proc: children of %d: %w", pid, ErrUnsupported)
}

// GroupMembers returns the pids of the members of a process group on Linux.
// Elsewhere it returns ErrUnsupported.
func GroupMembers(pgid int) ([]int, error) {
	return nil, fmt.Errorf("proc: members of group %d: %w", pgid, ErrUnsupported)
}
