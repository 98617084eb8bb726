package proc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SetChildSubreaper marks the calling process as a child subreaper
// (prctl PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to it
// instead of to init, so a supervisor can still find, signal and reap the
// grandchildren of a daemon that double-forked or exited early. The caller
// must then reap them (supervise does). It returns ErrUnsupported off Linux.
func SetChildSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("proc: set child subreaper: %w", err)
	}
	return nil
}
