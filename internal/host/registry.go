package host

import (
	"fmt"
	"slices"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/supervisor"
)

// registry knows which daemons the host runs. One goroutine owns it;
// the others send it what to do (do), so that a name is started, taken
// over or forgotten by one request at a time.
type registry struct {
	ops chan func(map[string]*entry)
}

// entry is a daemon the host runs, or is starting (sup nil).
type entry struct {
	sup  *supervisor.Supervisor
	lock *pidfile.File // the daemon's lock, held while its supervisor runs
	// gone is closed once the supervisor has ended and the registry has
	// forgotten it: the name is free for the next start.
	gone chan struct{}
}

func newRegistry() *registry {
	r := &registry{ops: make(chan func(map[string]*entry))}
	go func() {
		entries := map[string]*entry{}
		for op := range r.ops {
			op(entries)
		}
	}()
	return r
}

// do runs op on the owner goroutine and waits for it.
func (r *registry) do(op func(map[string]*entry)) {
	done := make(chan struct{})
	r.ops <- func(m map[string]*entry) { op(m); close(done) }
	<-done
}

// errBusy answers a start of a name that runs or is being started.
type errBusy struct {
	name string
	pid  int // the main process, when known
}

func (e *errBusy) Error() string {
	if e.pid > 0 {
		return fmt.Sprintf("%s is already running (pid %d)", e.name, e.pid)
	}
	return fmt.Sprintf("%s is already being started", e.name)
}

// claim reserves name for a start.
func (r *registry) claim(name string) (err error) {
	r.do(func(m map[string]*entry) {
		if e, ok := m[name]; ok {
			busy := &errBusy{name: name}
			if e.sup != nil {
				busy.pid = e.sup.Record().PID
			}
			err = busy
			return
		}
		m[name] = &entry{}
	})
	return err
}

// settle records the supervisor of a claimed name.
func (r *registry) settle(name string, sup *supervisor.Supervisor, lock *pidfile.File) {
	r.do(func(m map[string]*entry) { m[name] = &entry{sup: sup, lock: lock, gone: make(chan struct{})} })
}

// gone returns a channel closed once name's supervisor sup is forgotten
// (closed already when it is not sup any more).
func (r *registry) gone(name string, sup *supervisor.Supervisor) (c <-chan struct{}) {
	r.do(func(m map[string]*entry) {
		if e, ok := m[name]; ok && e.sup == sup && e.gone != nil {
			c = e.gone
		}
	})
	if c == nil {
		closed := make(chan struct{})
		close(closed)
		c = closed
	}
	return c
}

// release forgets name if its supervisor is sup (nil: a claim that came
// to nothing).
func (r *registry) release(name string, sup *supervisor.Supervisor) {
	r.do(func(m map[string]*entry) {
		if e, ok := m[name]; ok && e.sup == sup {
			delete(m, name)
			if e.gone != nil {
				close(e.gone)
			}
		}
	})
}

// entry returns the supervisor of name and its lock, nils when none.
func (r *registry) entry(name string) (sup *supervisor.Supervisor, lock *pidfile.File) {
	r.do(func(m map[string]*entry) {
		if e := m[name]; e != nil {
			sup, lock = e.sup, e.lock
		}
	})
	return sup, lock
}

// get returns the supervisor of name, nil when none runs.
func (r *registry) get(name string) (sup *supervisor.Supervisor) {
	r.do(func(m map[string]*entry) {
		if e := m[name]; e != nil {
			sup = e.sup
		}
	})
	return sup
}

// names returns the names of the daemons that run, sorted.
func (r *registry) names() (out []string) {
	r.do(func(m map[string]*entry) {
		for n, e := range m {
			if e.sup != nil {
				out = append(out, n)
			}
		}
	})
	slices.Sort(out)
	return out
}

// lookup returns the supervisor of name, nil when none runs, and whether
// a start of it is under way (claimed, no supervisor yet), as of one
// moment.
func (r *registry) lookup(name string) (sup *supervisor.Supervisor, starting bool) {
	r.do(func(m map[string]*entry) {
		if e, ok := m[name]; ok {
			sup, starting = e.sup, e.sup == nil
		}
	})
	return sup, starting
}

// starting reports whether name is claimed by a start that has no
// supervisor yet.
func (r *registry) starting(name string) (yes bool) {
	r.do(func(m map[string]*entry) {
		e, ok := m[name]
		yes = ok && e.sup == nil
	})
	return yes
}
