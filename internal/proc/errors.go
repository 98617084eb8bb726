package proc

import "errors"

var (
	// ErrNotFound reports that no process with the given pid exists.
	ErrNotFound = errors.New("proc: no such process")

	// ErrStale reports that the pid now belongs to a different process than
	// the one an Identity named: the original exited and the pid was reused.
	ErrStale = errors.New("proc: pid reused by another process")

	// ErrNotGroupLeader reports that a process does not lead its own process
	// group, so signalling the group named by its pid would be wrong.
	ErrNotGroupLeader = errors.New("proc: process is not a process group leader")

	// ErrUnsupported reports that the operation needs a Linux facility
	// (/proc, prctl) that this system lacks. It is [errors.ErrUnsupported].
	ErrUnsupported = errors.ErrUnsupported
)
