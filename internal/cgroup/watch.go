package cgroup

import (
	"path/filepath"

	"github.com/tendhq/tend/internal/watch"
)

// Watch tells when a group's cgroup.events changes: when it becomes
// populated or empty (counting sub-groups), or is frozen or thawed. Make
// one with Group.Watch.
type Watch struct {
	// C receives a value after each change. Changes that come while a
	// value waits in C are folded into it, so a receiver must re-read the
	// state (Group.Populated) rather than count values. C is never closed.
	C <-chan struct{}

	stop func() error // ends the watch
}

// Watch starts watching the group's cgroup.events. To wait for a group to
// empty without missing the moment, start the watch first, then check
// Populated, then receive from C and check again. An idle watch costs a
// parked goroutine and a descriptor, and no wake-ups. A watch outlives
// its group: after the group is removed, C stays quiet. The caller must
// Close the watch.
func (g *Group) Watch() (*Watch, error) {
	w, err := g.watch()
	if err != nil {
		return nil, g.fail("watch", err)
	}
	return w, nil
}

// Close stops the watch and returns once its goroutine has ended. It
// unblocks no receiver of C.
func (w *Watch) Close() error { return w.stop() }

// WatchWith is Watch on a shared Watcher (one inotify instance for many
// watches: a user has few); nil means a watch of its own.
func (g *Group) WatchWith(watcher *watch.Watcher) (*Watch, error) {
	if watcher == nil {
		return g.Watch()
	}
	c := make(chan struct{}, 1)
	x, err := watcher.Changes(filepath.Join(g.path, "cgroup.events"), watch.Signal(c))
	if err != nil {
		return nil, g.fail("watch", err)
	}
	return &Watch{C: c, stop: func() error { x.Remove(); return nil }}, nil
}
