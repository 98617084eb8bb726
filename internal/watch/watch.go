// Package watch tells when a folder, or files in it, are removed: tend
// puts back what makes a daemon (or its host) reachable when a cleaner or
// a user removes it. One Watcher serves every folder of a program: on
// Linux it is one inotify instance (a user has 128 by default, fewer
// than a host's daemons) read by one goroutine, and nothing wakes while
// nothing happens; elsewhere it looks once a second.
package watch

import "sync"

// Watch is one folder (or file) watched; its function is called at each
// event that matters, on the Watcher's goroutine: it must not block (it
// sends a message, say).
type Watch struct {
	w     *Watcher
	path  string
	names []string
	// any: every event of the watch matters (a file watched for its
	// changes).
	any bool
	f   func()
	// files, for a Files watch: called with the name of a file that
	// changed in the folder, "" when what changed is unknown (the
	// folder itself went, or events were lost).
	files func(name string, dir bool)
	id    int32 // the inotify watch descriptor
}

func (x *Watch) notify() {
	if x.files != nil {
		x.files("", false)
		return
	}
	x.f()
}

// Signal returns a function for Add and Changes that sends a value on c
// without blocking (one waits in c at most: changes fold into it).
func Signal(c chan<- struct{}) func() {
	return func() {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Remove ends the watch. It is safe to call twice.
func (x *Watch) Remove() { x.w.remove(x) }

// Watcher holds the watches of a program. Its methods are safe for
// concurrent use.
type Watcher struct {
	mu    sync.Mutex
	byID  map[int32][]*Watch
	sys   sysWatcher
	close chan struct{}
}

// Close ends every watch and the Watcher.
func (w *Watcher) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.close:
		return
	default:
	}
	close(w.close)
	w.sys.close()
}
