package supervisor

import (
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// Reaper hands the exits that a Processes reports to the supervisors of
// a program, which tell their own apart. One Reaper serves every
// supervisor that shares its Processes (see the package doc).
//
// Children are of two kinds. Short commands (exec probes, see runShort)
// are registered with their own exit handler. Everything else is a
// daemon's process: a main process a supervisor started, or an orphan
// that came back to the Processes' parent; each of their exits is
// reported to every subscribed supervisor.
type Reaper struct {
	procs Processes

	mu    sync.Mutex
	short map[int]func(unix.WaitStatus) // short commands, by pid
	owner map[int]*Supervisor           // main processes, by pid, while they run
	subs  map[*Supervisor]bool
	// unread holds, per supervisor, the pids reaped and not yet taken
	// from its inbox, so that it can tell its own reaped child from a
	// stranger's process (see Supervisor.mainGone).
	unread map[*Supervisor]map[int]bool
}

// reapedChild is a child the reaper waited for.
type reapedChild struct {
	pid int
	ws  unix.WaitStatus
}

// NewReaper returns the Reaper of p's children; it takes p's Exits from
// now on.
func NewReaper(p Processes) *Reaper {
	r := &Reaper{procs: p, short: map[int]func(unix.WaitStatus){}, owner: map[int]*Supervisor{},
		subs: map[*Supervisor]bool{}, unread: map[*Supervisor]map[int]bool{}}
	go r.run()
	return r
}

var (
	localReaperOnce sync.Once
	localReaper     *Reaper
)

// sharedReaper is the Reaper of LocalProcesses.
func sharedReaper() *Reaper {
	localReaperOnce.Do(func() { localReaper = NewReaper(LocalProcesses()) })
	return localReaper
}

// run hands each batch of exits to the short commands' handlers and to
// the supervisors.
func (r *Reaper) run() {
	for batch := range r.procs.Exits() {
		var daemons []reapedChild
		var handlers []func()
		var unowned []int
		r.mu.Lock()
		for _, e := range batch {
			if f := r.short[e.PID]; f != nil {
				delete(r.short, e.PID)
				handlers = append(handlers, func() { f(e.Status) })
				unowned = append(unowned, e.PID)
				continue
			}
			if _, ok := r.owner[e.PID]; !ok {
				unowned = append(unowned, e.PID)
			}
			delete(r.owner, e.PID)
			for s := range r.subs {
				r.unread[s][e.PID] = true
			}
			daemons = append(daemons, reapedChild{e.PID, e.Status})
		}
		subs := make([]*Supervisor, 0, len(r.subs))
		for s := range r.subs {
			subs = append(subs, s)
		}
		r.mu.Unlock()
		for _, f := range handlers {
			f()
		}
		// The exits of main processes are recorded by their supervisors
		// (recorded, after they wrote their record); the others matter
		// to no one once reported.
		if len(unowned) > 0 {
			r.procs.Recorded(unowned)
		}
		if len(daemons) > 0 {
			for _, s := range subs {
				s.inbox.post(reapedBatch(daemons))
			}
		}
	}
}

// reapedBatch is what one pass of the reaper found, as a supervisor's
// message.
type reapedBatch []reapedChild

func (r *Reaper) subscribe(s *Supervisor) {
	r.mu.Lock()
	r.subs[s] = true
	r.unread[s] = map[int]bool{}
	r.mu.Unlock()
}

// reaps reports whether the reaper is the one to tell s of pid's exit:
// pid was reaped and its report is on its way to s, or it is a child of
// the Processes' parent, exited or not, still to be reaped. A process
// that exits while its parent exits is the parent's child only a moment
// later, and /proc may not show it meanwhile: Waitable asks the kernel.
func (r *Reaper) reaps(s *Supervisor, pid int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unread[s][pid] {
		return true
	}
	return r.procs.Waitable(pid)
}

// consumed records that s has taken a batch from its inbox.
func (r *Reaper) consumed(s *Supervisor, batch reapedBatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range batch {
		delete(r.unread[s], c.pid)
	}
}

// recorded says that s has written the exits of its main processes pids
// into its record.
func (r *Reaper) recorded(pids []int) {
	if len(pids) > 0 {
		r.procs.Recorded(pids)
	}
}

// shared reports whether the reaper serves several supervisors: the
// children of the parent are then not all one daemon's.
func (r *Reaper) shared() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.subs) > 1 || r.procs != theLocal
}

func (r *Reaper) unsubscribe(s *Supervisor) {
	r.mu.Lock()
	delete(r.subs, s)
	delete(r.unread, s)
	for pid, o := range r.owner {
		if o == s {
			delete(r.owner, pid)
		}
	}
	r.mu.Unlock()
}

// own records pid as s's main process, one it did not start (a process a
// previous host started, taken over), so that other supervisors do not
// count it as theirs.
func (r *Reaper) own(s *Supervisor, pid int) {
	r.mu.Lock()
	r.owner[pid] = s
	r.mu.Unlock()
}

// startShort starts spec, holding the lock, and registers onExit for its
// pid: a child that exits at once is then reported either after
// registration, or before it with the reaper waiting on the lock to look
// it up, so its exit is never taken for a daemon's.
func (r *Reaper) startShort(spec *Spec, onExit func(unix.WaitStatus)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, err := r.procs.Start(spec)
	if err != nil {
		return 0, err
	}
	r.short[id.PID] = onExit
	return id.PID, nil
}

// startMain starts spec, holding the lock, and records the pid as s's
// main process, so that other supervisors in the program do not count it
// as theirs.
func (r *Reaper) startMain(s *Supervisor, spec *Spec) (proc.Identity, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, err := r.procs.Start(spec)
	if err != nil {
		return proc.Identity{}, err
	}
	r.owner[id.PID] = s
	return id, nil
}

// children returns the children of the Processes' parent that may be
// s's: every child but the short commands and the main processes of
// other supervisors. With one supervisor that is every child its daemon
// left; with several, an orphan cannot be told apart from another's by
// parentage alone (the tree tracker looks at where it descends from; a
// cgroup needs none of this).
//
// It holds the lock while it reads /proc, so that a short command that is
// reaped meanwhile is not taken for a daemon's process.
func (r *Reaper) children(s *Supervisor) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	kids, err := proc.Children(r.procs.Parent())
	if err != nil {
		return nil
	}
	self := os.Getpid() // a host is its keeper's child too
	return slices.DeleteFunc(kids, func(pid int) bool {
		if pid == self || r.short[pid] != nil {
			return true
		}
		o, ok := r.owner[pid]
		return ok && o != s
	})
}
