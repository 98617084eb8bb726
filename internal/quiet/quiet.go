// Package quiet gives a long-running program's memory back to the system
// once a busy moment is over: the host and its keeper grow their heaps
// while many daemons start at once, and the Go runtime returns the pages
// only slowly. A Releaser waits for a quiet moment after the last work
// (one timer, armed only by work: an idle program does not wake for it),
// then collects and returns what is free.
package quiet

import (
	"runtime/debug"
	"sync"
	"time"
)

// Releaser returns free memory to the system After a moment without
// Busy. Its zero value is not usable; make one with New. It is safe for
// concurrent use.
type Releaser struct {
	after time.Duration
	mu    sync.Mutex
	t     *time.Timer
}

// New returns a Releaser that waits after before it releases.
func New(after time.Duration) *Releaser { return &Releaser{after: after} }

// Busy says that work happened: the release waits until after has passed
// since the last call.
func (r *Releaser) Busy() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t == nil {
		r.t = time.AfterFunc(r.after, debug.FreeOSMemory)
		return
	}
	r.t.Reset(r.after)
}
