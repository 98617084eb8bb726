package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/tendhq/tend/internal/pidfile"
	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/watch"
)

// folderSettle is how long the folder watch lets a removal of the folder
// finish before the supervisor restores it.
const folderSettle = 200 * time.Millisecond

// folderWatcher runs while the supervisor does, and has the loop put the
// daemon's folder back when someone removes it (rm -rf of the state
// directory), or the control socket when someone removes that (a cleaner
// of /tmp): without them the daemon would run on unreachable, and a new
// `tend start` of the name would find the name free and start a second
// copy. On Linux it waits on inotify: an idle supervisor does not wake up
// for it.
type folderWatcher struct {
	quit, done chan struct{}
}

// folderChanged asks the loop to look at the folder; ack says whether
// the folder watch should go on.
type folderChanged struct{ ack chan bool }

func watchFolder(s *Supervisor) *folderWatcher {
	fw := &folderWatcher{quit: make(chan struct{}), done: make(chan struct{})}
	dir := s.cfg.Dir
	watcher := s.cfg.Watcher
	if watcher == nil {
		w, err := watch.New()
		if err != nil {
			s.events.Warn("the daemon's folder is not watched: a removal of it is not undone", "err", err.Error())
			close(fw.done)
			return fw
		}
		watcher = w
	}
	go func() {
		defer close(fw.done)
		if s.cfg.Watcher == nil {
			defer watcher.Close()
		}
		changed := make(chan struct{}, 1)
		for {
			names := []string{filepath.Base(dir.SupervisorPIDFile())}
			if s.server != nil {
				names = append(names, filepath.Base(dir.Socket()))
			}
			w, err := watcher.Add(dir.Path, names, changed)
			if err == nil {
				intact := exists(dir.SupervisorPIDFile()) && (s.server == nil || exists(dir.Socket()))
				if intact {
					select {
					case <-changed:
						w.Remove()
						continue // look again, with a new watch
					case <-fw.quit:
						w.Remove()
						return
					}
				}
				w.Remove()
			}
			// Let a removal (rm -rf) finish before restoring, so that
			// the removal and the restoration do not race.
			select {
			case <-fw.quit:
				return
			case <-time.After(folderSettle):
			}
			ack := make(chan bool, 1)
			s.inbox.post(folderChanged{ack})
			select {
			case <-fw.quit:
				return
			case ok := <-ack:
				if !ok {
					return
				}
			}
		}
	}()
	return fw
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

func (fw *folderWatcher) close() {
	close(fw.quit)
	<-fw.done
}

// keepFolder restores what was removed of the daemon's folder.
func (s *Supervisor) keepFolder(ack chan bool) {
	dir := s.cfg.Dir
	switch {
	case !exists(dir.SupervisorPIDFile()):
		if err := s.restoreFolder(); err != nil {
			s.events.Error("the daemon's folder was removed and cannot be restored; "+
				"tend no longer reaches this daemon: stop it by its pid", "folder", dir.Path, "err", err)
			ack <- false
			return
		}
		s.events.Warn("the daemon's folder was removed; restored it", "folder", dir.Path)
	case s.server != nil && !exists(dir.Socket()):
		if err := s.relisten(); err != nil {
			s.events.Error("the control socket was removed and cannot be made again", "socket", dir.Socket(), "err", err)
			ack <- false
			return
		}
		s.events.Warn("the control socket was removed; made it again", "socket", dir.Socket())
	}
	ack <- true
}

// restoreFolder recreates the folder and everything that makes the daemon
// reachable: the locked pidfile, definition, status record, control socket
// and (in the folder) the output log. A pidfile that another supervisor
// holds by now means the name was taken meanwhile: that is an error.
func (s *Supervisor) restoreFolder() error {
	store, err := statedir.Open(filepath.Dir(s.cfg.Dir.Path))
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
	if err := statedir.WriteJSON(dir.DefinitionFile(), s.def, 0o600); err != nil {
		return err
	}
	s.writeRecord()
	if s.server != nil {
		if err := s.relisten(); err != nil {
			return err
		}
	}
	if s.output.log != nil && s.def.Log == "" {
		s.output.log.Reopen()
	}
	return nil
}

// relisten replaces the control socket.
//
// It does not wait for the old socket's requests: they may be waiting for
// the loop, which is here. Shutdown waits for them all.
func (s *Supervisor) relisten() error {
	s.server.Close() // its file is gone; Close leaves alone what is not its own
	return s.listen()
}
