package supervise

import (
	"errors"
	"os"
	"os/signal"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// reaper owns wait4(-1) for the whole program; see the package doc for why
// there is exactly one. It is created on first use and lives as long as the
// program: wait4(-1) and SIGCHLD are process-wide resources, so this is the
// one piece of package-level state, on purpose.
type reaper struct {
	mu      sync.Mutex
	exits   map[int]func(pid int, ws unix.WaitStatus) // main children, by pid
	changed chan struct{}                             // closed after each reap
}

var (
	reaperOnce sync.Once
	theReaper  *reaper
)

func sharedReaper() *reaper {
	reaperOnce.Do(func() {
		r := &reaper{exits: map[int]func(int, unix.WaitStatus){}, changed: make(chan struct{})}
		// Notify before any child exists: it also replaces an inherited
		// SIG_IGN for SIGCHLD, under which the kernel would reap children
		// itself and their exit statuses would be lost.
		sigc := make(chan os.Signal, 1)
		signal.Notify(sigc, unix.SIGCHLD)
		go r.run(sigc)
		theReaper = r
	})
	return theReaper
}

// run reaps every child that has exited each time SIGCHLD arrives. SIGCHLD
// coalesces, so each wakeup loops until wait4 has nothing more.
func (r *reaper) run(sigc <-chan os.Signal) {
	for {
		r.reapAll()
		<-sigc
	}
}

func (r *reaper) reapAll() {
	reaped := false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			break // ECHILD: no children; 0: none has exited
		}
		reaped = true
		r.mu.Lock()
		f := r.exits[pid]
		delete(r.exits, pid)
		r.mu.Unlock()
		if f != nil {
			// The handler takes the Process lock and runs onChange:
			// never block the reaper on them.
			go f(pid, ws)
		}
	}
	if reaped {
		r.mu.Lock()
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	}
}

// start runs spawn and registers onExit for the pid it returns, holding the
// lock throughout: a child that exits at once is then reaped either after
// registration, or before it with the reaper waiting on the lock to look it
// up, so its exit is never taken for an orphan's.
func (r *reaper) start(spawn func() (int, error), onExit func(int, unix.WaitStatus)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := spawn()
	if err != nil {
		return 0, err
	}
	r.exits[pid] = onExit
	return pid, nil
}

// changes returns a channel closed at the next reap.
func (r *reaper) changes() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// orphans returns the program's children that are not the main child of any
// Process: descendants reparented to it as a child subreaper. It holds the
// lock so that a child being started by another Process is not mistaken for
// one.
func (r *reaper) orphans() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	kids, err := proc.Children(os.Getpid())
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(kids, func(pid int) bool { return r.exits[pid] != nil })
}
