package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/watch"
)

// folderSettle is how long the folder watch lets a removal of the folder
// finish before the supervisor restores it.
const folderSettle = 200 * time.Millisecond

// folderWatch runs while the supervisor does, and has the loop put the
// daemon's folder back when someone removes it (rm -rf of the state
// directory), or the control socket when someone removes that (a cleaner
// of /tmp): without them the daemon would run on unreachable, and a new
// `tend start` of the name would find the name free and start a second
// copy. The Watcher (inotify, on Linux) calls it back; the loop does the
// rest, so that a watch costs no goroutine of its own: an idle
// supervisor does not wake up for it.
type folderWatch struct {
	watcher *watch.Watcher
	own     bool // the watcher is the supervisor's own, closed with it
	w       *watch.Watch
	settle  *time.Timer // a removal seen: the restoration waits folderSettle
	broken  bool        // it could not be restored: the watch is over
}

// Messages of the folder watch.
type (
	// folderChanged: something of the folder was removed, maybe.
	folderChanged struct{}
	// folderSettled: the moment given to a removal is over.
	folderSettled struct{}
)

// watchFolder starts the folder watch; the loop then owns it.
func watchFolder(s *Supervisor) *folderWatch {
	fw := &folderWatch{watcher: s.cfg.Watcher}
	if fw.watcher == nil {
		w, err := watch.New()
		if err != nil {
			s.events.Warn("the daemon's folder is not watched: a removal of it is not undone", "err", err.Error())
			return nil
		}
		fw.watcher, fw.own = w, true
	}
	s.rewatch(fw)
	return fw
}

// rewatch watches the folder anew (a removal of the folder ends its
// watch), and looks at once at what is missing.
func (s *Supervisor) rewatch(fw *folderWatch) {
	if fw.w != nil {
		fw.w.Remove()
		fw.w = nil
	}
	dir := s.cfg.Dir
	names := []string{filepath.Base(dir.SupervisorPIDFile())}
	if s.server != nil {
		names = append(names, filepath.Base(dir.Socket()))
	}
	if w, err := fw.watcher.Add(dir.Path, names, func() { s.inbox.post(folderChanged{}) }); err == nil {
		fw.w = w
	}
	s.folderChanged()
}

// folderChanged looks at the folder: something missing is put back once
// a removal has had folderSettle to finish, so that the removal and the
// restoration do not race.
func (s *Supervisor) folderChanged() {
	fw := s.watch
	if fw == nil || fw.broken || fw.settle != nil {
		return
	}
	dir := s.cfg.Dir
	if fw.w != nil && exists(dir.SupervisorPIDFile()) && (s.server == nil || exists(dir.Socket())) {
		return
	}
	fw.settle = time.AfterFunc(folderSettle, func() { s.inbox.post(folderSettled{}) })
}

// folderSettled restores what was removed, and watches again.
func (s *Supervisor) folderSettled() {
	fw := s.watch
	if fw == nil {
		return
	}
	fw.settle = nil
	if !s.keepFolder() {
		fw.broken = true
		return
	}
	s.rewatch(fw)
}

func (fw *folderWatch) close() {
	if fw.settle != nil {
		fw.settle.Stop()
	}
	if fw.w != nil {
		fw.w.Remove()
	}
	if fw.own {
		fw.watcher.Close()
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// keepFolder restores what was removed of the daemon's folder, and says
// whether it could.
func (s *Supervisor) keepFolder() bool {
	dir := s.cfg.Dir
	switch {
	case !exists(dir.SupervisorPIDFile()):
		if err := s.restoreFolder(); err != nil {
			s.events.Error("the daemon's folder was removed and cannot be restored; "+
				"tend no longer reaches this daemon: stop it by its pid", "folder", dir.Path, "err", err)
			return false
		}
		s.events.Warn("the daemon's folder was removed; restored it", "folder", dir.Path)
	case s.server != nil && !exists(dir.Socket()):
		if err := s.relisten(); err != nil {
			s.events.Error("the control socket was removed and cannot be made again", "socket", dir.Socket(), "err", err)
			return false
		}
		s.events.Warn("the control socket was removed; made it again", "socket", dir.Socket())
	}
	return true
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
	pf, err := dir.LockSupervisor()
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
	s.rewriteRecord()
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
