package main

import (
	"errors"
	"os"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/state"
)

// lockSupervisor takes the daemon's supervisor lock for a foreground
// supervisor (tend run --name), as daemon.Detach does for tend start.
func lockSupervisor(dir state.Dir) (func(), error) {
	pf, err := dir.LockSupervisor()
	if err != nil {
		var locked *pidfile.LockedError
		if errors.As(err, &locked) {
			return nil, alreadyRunning(dir)
		}
		return nil, err
	}
	if err := pf.Write(os.Getpid()); err != nil {
		pf.Remove()
		return nil, err
	}
	return func() { pf.Remove() }, nil
}
