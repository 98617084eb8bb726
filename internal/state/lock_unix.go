package state

import (
	"errors"
	"syscall"

	"github.com/tendhq/tend/internal/pidfile"
)

// LockSupervisor takes the daemon's lock (its supervisor.pid, see
// [pidfile.Lock]) for a supervisor about to run it. Something other than
// a regular file in its place (a FIFO, a socket; the folder is tend's
// own, so it is nobody's file) is removed first rather than leave the
// daemon impossible to start; a directory is not.
func (d Dir) LockSupervisor() (*pidfile.File, error) {
	path := d.SupervisorPIDFile()
	pf, err := pidfile.Lock(path, 0o644)
	if errors.Is(err, pidfile.ErrNotRegular) {
		if uerr := syscall.Unlink(path); uerr == nil || errors.Is(uerr, syscall.ENOENT) {
			return pidfile.Lock(path, 0o644)
		}
	}
	return pf, err
}
