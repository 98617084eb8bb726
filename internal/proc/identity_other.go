//go:build !linux

package proc

import (
	"fmt"
	"syscall"
)

func readStat(pid int) (stat, error) {
	return stat{}, fmt.Errorf("proc: read stat of pid %d: %w", pid, ErrUnsupported)
}

func signalVerified(id Identity, sig syscall.Signal) error {
	return fmt.Errorf("proc: signal %s: %w", id, ErrUnsupported)
}

func signalGroupVerified(id Identity, sig syscall.Signal) error {
	return fmt.Errorf("proc: signal group of %s: %w", id, ErrUnsupported)
}
