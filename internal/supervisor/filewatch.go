package supervisor

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/watch"
)

// fileWatch is --watch: a change to a watched file restarts the daemon
// (or reloads it: definition.WatchReloads) once no other change came for
// the debounce time. It watches every folder under the globs' roots with
// inotify (the Watcher's, shared by the host's supervisors), and new
// folders as they come; nothing polls. The Watcher calls back on its own
// goroutine, which only filters and posts to the loop; the loop owns the
// rest.
//
// A daemon that writes files it watches would restart for ever: a change
// that comes within loopWindow of the start of the incarnation, for the
// loopLimit-th time in a row, turns the watch off, with an error that
// names the files, until the daemon is restarted by a user.
type fileWatch struct {
	watcher *watch.Watcher
	own     bool // the watcher is the supervisor's own, closed with it
	globs   []watch.Glob
	ignore  []watch.Glob
	skip    []string // the daemon's folder and its log: never a change
	log     string   // the log, whose rotated files are left out too
	dirs    map[string]*watch.Watch
	// A burst of changes: the files (the first few), when it began, and
	// the timer that ends it; gen tells a timer that was reset.
	changed []string
	since   time.Time
	settle  *time.Timer
	gen     int
	loops   int // watch restarts in a row that came soon after a start
	off     bool
}

// Messages of the file watch.
type (
	// fileChanged: a watched file changed (path), or something in the
	// folder path did (unknown: events were lost, a folder went).
	fileChanged struct {
		path    string
		unknown bool
	}
	// folderAdded: a folder appeared under a watched one.
	folderAdded struct{ path string }
	// filesSettled: no change came for the debounce time.
	filesSettled struct{ gen int }
	// watchRearm: a user restarted the daemon; a watch turned off by a
	// restart loop is on again.
	watchRearm struct{}
)

const (
	loopWindow   = 2 * time.Second
	loopLimit    = 3
	maxWatchDirs = 10000
	maxNamed     = 5 // files an event or error names
)

// watchFiles starts the --watch of s's daemon, if it has one.
func watchFiles(s *Supervisor) *fileWatch {
	d := s.def
	if len(d.Watch) == 0 {
		return nil
	}
	fw := &fileWatch{watcher: s.cfg.Watcher, dirs: map[string]*watch.Watch{}}
	dir := s.spawner.dir
	for _, p := range d.Watch {
		g, err := watch.ParseGlob(p, dir)
		if err == nil {
			if fi, serr := os.Stat(filepath.Join(dir, p)); serr == nil && fi.IsDir() && !strings.ContainsAny(p, `*?[\`) {
				g, err = watch.ParseGlob(filepath.Join(dir, p, "**"), dir) // a folder: all its files
			}
		}
		if err != nil {
			s.watchFailed(fmt.Sprintf("--watch %q: %v", p, err))
			return nil
		}
		fw.globs = append(fw.globs, g)
	}
	for _, p := range append(definition.DefaultWatchIgnore(), d.WatchIgnore...) {
		g, err := watch.ParseGlob(p, dir)
		if err != nil {
			s.watchFailed(fmt.Sprintf("--watch-ignore %q: %v", p, err))
			return nil
		}
		fw.ignore = append(fw.ignore, g)
	}
	if s.cfg.Dir.Path != "" {
		fw.skip = append(fw.skip, s.cfg.Dir.Path)
	}
	if s.output != nil && s.output.path() != "" {
		fw.skip, fw.log = append(fw.skip, s.output.path()), s.output.path()
	}
	if fw.watcher == nil {
		w, err := watch.New()
		if err != nil {
			s.watchFailed(err.Error())
			return nil
		}
		fw.watcher, fw.own = w, true
	}
	var roots []string
	for _, g := range fw.globs {
		roots = append(roots, g.Root())
	}
	slices.Sort(roots)
	for i, root := range slices.Compact(roots) {
		if i > 0 && slices.ContainsFunc(roots[:i], func(r string) bool { return under(root, r) }) {
			continue // inside a root watched already
		}
		if err := s.watchTree(fw, root, false); err != nil {
			fw.close()
			s.watchFailed(err.Error())
			return nil
		}
	}
	s.events.Info("watching files", "globs", strings.Join(d.Watch, " "), "folders", len(fw.dirs), "debounce", d.WatchDebounceOrDefault().String())
	return fw
}

// watchFailed says, in the event log and the record, why --watch is off.
func (s *Supervisor) watchFailed(why string) {
	s.rec.WatchError = why
	s.events.Error("watch: off", "err", why)
}

// ignored reports whether p is left out: the daemon's own files,
// --watch-ignore and the default folders.
func (fw *fileWatch) ignored(p string) bool {
	if fw.log != "" && strings.HasPrefix(p, fw.log+".") {
		return true
	}
	if slices.ContainsFunc(fw.skip, func(sk string) bool { return under(p, sk) }) {
		return true
	}
	return slices.ContainsFunc(fw.ignore, func(g watch.Glob) bool { return g.Covers(p) })
}

func (fw *fileWatch) matches(p string) bool {
	return slices.ContainsFunc(fw.globs, func(g watch.Glob) bool { return g.Match(p) })
}

// watchTree watches root and every folder under it that is not ignored.
// A new folder (fresh) that came with watched files in it (made before
// its watch was) is a change.
func (s *Supervisor) watchTree(fw *fileWatch, root string, fresh bool) error {
	found := false
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return fmt.Errorf("--watch: %w", err)
			}
			return nil // gone meanwhile, or unreadable: left out
		}
		if p != root && fw.ignored(p) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() {
			found = found || fw.matches(p)
			return nil
		}
		if fw.dirs[p] != nil {
			return nil
		}
		if len(fw.dirs) >= maxWatchDirs {
			return fmt.Errorf("--watch: more than %d folders under %s: narrow the globs, or leave folders out with --watch-ignore", maxWatchDirs, root)
		}
		x, err := fw.watcher.Files(p, s.fileEvent(fw, p))
		if err != nil {
			if p == root {
				return fmt.Errorf("--watch: %w", err)
			}
			return nil
		}
		fw.dirs[p] = x
		return nil
	})
	if err == nil && found && fresh {
		s.inbox.post(fileChanged{path: root})
	}
	return err
}

// fileEvent is the Watcher's callback for folder dir: on the Watcher's
// goroutine, it only filters and posts (the globs and ignores do not
// change once the watch runs).
func (s *Supervisor) fileEvent(fw *fileWatch, dir string) func(name string, isDir bool) {
	view := &fileWatch{globs: fw.globs, ignore: fw.ignore, skip: fw.skip, log: fw.log}
	return func(name string, isDir bool) {
		if name == "" {
			s.inbox.post(fileChanged{path: dir, unknown: true})
			return
		}
		p := filepath.Join(dir, name)
		switch {
		case view.ignored(p):
		case isDir:
			s.inbox.post(folderAdded{p})
		case view.matches(p):
			s.inbox.post(fileChanged{path: p})
		}
	}
}

// fileChanged starts or extends a burst of changes.
func (s *Supervisor) fileChanged(m fileChanged) {
	fw := s.files
	if fw == nil || fw.off {
		return
	}
	if m.unknown {
		if _, err := os.Stat(m.path); err != nil && fw.dirs[m.path] != nil {
			fw.dirs[m.path].Remove()
			delete(fw.dirs, m.path)
		}
	}
	if len(fw.changed) == 0 {
		fw.since = time.Now()
	}
	if len(fw.changed) < maxNamed && !slices.Contains(fw.changed, m.path) {
		fw.changed = append(fw.changed, m.path)
	}
	if fw.settle != nil {
		fw.settle.Stop()
	}
	fw.gen++
	gen := fw.gen
	fw.settle = time.AfterFunc(s.def.WatchDebounceOrDefault(), func() { s.inbox.post(filesSettled{gen}) })
}

// folderAdded watches a new folder, and what is under it.
func (s *Supervisor) folderAdded(m folderAdded) {
	if fw := s.files; fw != nil && !fw.off {
		if err := s.watchTree(fw, m.path, true); err != nil {
			s.events.Warn("watch: a new folder is not watched", "folder", m.path, "err", err.Error())
		}
	}
}

// filesSettled restarts (or reloads) the daemon after a burst of
// changes, unless the burst looks like the daemon's own doing, again.
func (s *Supervisor) filesSettled(m filesSettled) {
	fw := s.files
	if fw == nil || fw.off || m.gen != fw.gen || len(fw.changed) == 0 {
		return
	}
	files := strings.Join(fw.changed, ", ")
	soon := !s.rec.StartedAt.IsZero() && fw.since.Sub(s.rec.StartedAt) < loopWindow
	fw.changed, fw.settle = nil, nil
	if st := s.rec.State; !s.rec.WantUp || st == status.Stopping || st == status.Failed || st == status.Exited {
		return // nothing to restart
	}
	if soon {
		fw.loops++
	} else {
		fw.loops = 0
	}
	if fw.loops >= loopLimit {
		fw.off = true
		s.watchFailed(fmt.Sprintf("restart loop stopped: %d times in a row, watched files changed within %v of the daemon's start (%s): "+
			"it seems to write files it watches; leave them out with --watch-ignore GLOB, then: tend restart %s",
			loopLimit, loopWindow, files, s.def.Name))
		return
	}
	how := "restart"
	do := func(ctx context.Context) error {
		_, err := s.ask(ctx, evRestart, result{err: ErrStopped})
		return err
	}
	if s.def.WatchReloads() {
		how = "reload"
		do = func(ctx context.Context) error { _, err := s.Reload(ctx); return err }
	}
	s.events.Info("watch: files changed", "files", files, "action", how)
	events := s.events
	go func() {
		if err := do(context.Background()); err != nil {
			events.Warn("watch: the "+how+" failed", "err", err.Error())
		}
	}()
}

// watchRearm turns a watch that stopped a restart loop on again.
func (s *Supervisor) watchRearm() {
	if fw := s.files; fw != nil && fw.off {
		fw.off, fw.loops = false, 0
		s.rec.WatchError = ""
		s.events.Info("watch: on again")
	}
}

// close ends the watches.
func (fw *fileWatch) close() {
	if fw == nil {
		return
	}
	if fw.settle != nil {
		fw.settle.Stop()
	}
	for _, x := range fw.dirs {
		x.Remove()
	}
	if fw.own {
		fw.watcher.Close()
	}
}

// under reports whether p is dir or in it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
