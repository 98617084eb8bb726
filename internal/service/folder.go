package service

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/state"
)

// folderSettle is how long keepFolder lets a removal of the folder finish
// before it restores it.
const folderSettle = 200 * time.Millisecond

// keepFolder runs while the supervisor does, and puts the daemon's folder
// back when someone removes it (rm -rf of the state directory): without it
// the daemon would run on unreachable, and a new `tend start` of the name
// would find the name free and start a second copy. It checks for the
// supervisor's pidfile, which is what makes the name taken, each time
// waitFolder says the folder may have changed (on Linux an inotify watch:
// an idle supervisor does not wake up for it).
func (s *Supervisor) keepFolder(quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		w, err := watchFolder(s.cfg.Dir.Path, s.cfg.Dir.SupervisorPIDFile())
		if err == nil {
			if _, err := os.Lstat(s.cfg.Dir.SupervisorPIDFile()); !errors.Is(err, os.ErrNotExist) {
				more := w.wait(quit)
				w.close()
				if !more {
					return
				}
				continue // look again, with a new watch
			}
			w.close()
		}
		// Something removed the pidfile, most likely the whole folder
		// (rm -rf): let it finish before restoring, so that the removal
		// and the restoration do not race.
		select {
		case <-quit:
			return
		case <-time.After(folderSettle):
		}
		if err := s.restoreFolder(); err != nil {
			s.events.Error("the daemon's folder was removed and cannot be restored; "+
				"tend no longer reaches this daemon: stop it by its pid", "folder", s.cfg.Dir.Path, "err", err)
			return
		}
		s.events.Warn("the daemon's folder was removed; restored it", "folder", s.cfg.Dir.Path)
	}
}

// restoreFolder recreates the folder and everything that makes the daemon
// reachable: the locked pidfile, definition, status record, control socket
// and (in the folder) the output log. A pidfile that another supervisor
// holds by now means the name was taken meanwhile: that is an error.
func (s *Supervisor) restoreFolder() error {
	store, err := state.Open(filepath.Dir(s.cfg.Dir.Path))
	if err != nil {
		return err
	}
	dir, err := store.Create(s.cfg.Dir.Name)
	if err != nil {
		return err
	}
	pf, err := pidfile.Lock(dir.SupervisorPIDFile(), 0o644)
	if err != nil {
		return err
	}
	if err := pf.Write(os.Getpid()); err != nil {
		pf.Remove()
		return err
	}
	s.pidf = pf // held until the process exits, which releases the lock
	if err := state.WriteJSON(dir.DefinitionFile(), s.def, 0o600); err != nil {
		return err
	}
	s.update(func(*Record) {})
	s.server.Close() // its file is gone; Close leaves alone what is not its own
	<-s.served
	if err := s.listen(); err != nil {
		return err
	}
	if s.log != nil && s.def.Log == "" {
		s.log.Reopen()
	}
	return nil
}
