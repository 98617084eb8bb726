package host

import (
	"sync"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/supervisor"
)

// follower sees every supervisor's changes through: it publishes them on
// the event stream, and forgets a supervisor that has ended (lets go of
// its lock, frees its name). One goroutine does it for all of them; the
// supervisors' loops only post the name (Config.OnChange), which never
// blocks.
type follower struct {
	mu    sync.Mutex
	names map[string]bool
	wake  chan struct{}
}

func newFollower() *follower {
	return &follower{names: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// changed posts name: its supervisor's record changed, or it ended.
func (f *follower) changed(name string) {
	f.mu.Lock()
	f.names[name] = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// take returns the names posted since the last take.
func (f *follower) take() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := f.names
	f.names = map[string]bool{}
	return names
}

// follow runs the follower until the host ends.
func (h *Host) follow() {
	for {
		select {
		case <-h.followers.wake:
		case <-h.quit:
			return
		}
		for name := range h.followers.take() {
			if sup, lock := h.reg.entry(name); sup != nil && ended(sup) {
				lock.Remove()
				h.reg.release(name, sup) // after the lock: a start that waits for it finds the name free
			}
			h.publish(name)
		}
	}
}

// onChange is the Config.OnChange of name's supervisor.
func (h *Host) onChange(name string) func() { return func() { h.followers.changed(name) } }

// settle records the supervisor of a name the host started or took over,
// and sees to it that an end that came before is not missed.
func (h *Host) settle(name string, sup *supervisor.Supervisor, lock *pidfile.File) {
	h.reg.settle(name, sup, lock)
	h.followers.changed(name)
}

func ended(sup *supervisor.Supervisor) bool {
	select {
	case <-sup.Done():
		return true
	default:
		return false
	}
}
