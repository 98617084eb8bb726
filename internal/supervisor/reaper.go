package supervisor

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
//
// Children are of two kinds. Short commands (exec probes, see run) are
// registered with their own exit handler. Everything else is a daemon's
// process: a main process the supervisor started, or an orphan reparented
// to us as a child subreaper; each of their exits is reported to every
// subscribed supervisor, which tells its own from the others'.
type reaper struct {
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

var (
	reaperOnce sync.Once
	theReaper  *reaper
)

func sharedReaper() *reaper {
	reaperOnce.Do(func() {
		r := &reaper{short: map[int]func(unix.WaitStatus){}, owner: map[int]*Supervisor{}, subs: map[*Supervisor]bool{},
			unread: map[*Supervisor]map[int]bool{}}
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
	var daemons []reapedChild
	for {
		// Reap and record the reap in one step under the lock, so that
		// reaped (below) never sees a child that is neither waiting nor
		// recorded.
		var ws unix.WaitStatus
		r.mu.Lock()
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			r.mu.Unlock()
			continue
		}
		if err != nil || pid <= 0 {
			r.mu.Unlock()
			break // ECHILD: no children; 0: none has exited
		}
		f := r.short[pid]
		delete(r.short, pid)
		delete(r.owner, pid)
		if f == nil {
			for s := range r.subs {
				r.unread[s][pid] = true
			}
		}
		r.mu.Unlock()
		if f != nil {
			f(ws)
			continue
		}
		daemons = append(daemons, reapedChild{pid, ws})
	}
	if len(daemons) == 0 {
		return
	}
	r.mu.Lock()
	subs := make([]*Supervisor, 0, len(r.subs))
	for s := range r.subs {
		subs = append(subs, s)
	}
	r.mu.Unlock()
	for _, s := range subs {
		s.inbox.post(reapedBatch(daemons))
	}
}

// reapedBatch is what one pass of the reaper found, as a supervisor's
// message.
type reapedBatch []reapedChild

func (r *reaper) subscribe(s *Supervisor) {
	r.mu.Lock()
	r.subs[s] = true
	r.unread[s] = map[int]bool{}
	r.mu.Unlock()
}

// reaps reports whether the reaper is the one to tell s of pid's exit:
// pid was reaped and its report is on its way to s, or it is a child of
// the program, exited or not, still to be reaped. A process that exits
// while its parent exits is the program's child only a moment later, and
// /proc may not show it meanwhile: waitid asks the kernel instead.
func (r *reaper) reaps(s *Supervisor, pid int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unread[s][pid] {
		return true
	}
	return waitable(pid)
}

// consumed records that s has taken a batch from its inbox.
func (r *reaper) consumed(s *Supervisor, batch reapedBatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range batch {
		delete(r.unread[s], c.pid)
	}
}

func (r *reaper) unsubscribe(s *Supervisor) {
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

// startShort runs spawn, holding the lock, and registers onExit for the
// pid it returns: a child that exits at once is then reaped either after
// registration, or before it with the reaper waiting on the lock to look
// it up, so its exit is never taken for a daemon's.
func (r *reaper) startShort(spawn func() (int, error), onExit func(unix.WaitStatus)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := spawn()
	if err != nil {
		return 0, err
	}
	r.short[pid] = onExit
	return pid, nil
}

// startMain runs spawn, holding the lock, and records the pid as s's main
// process, so that other supervisors in the program do not count it as
// theirs.
func (r *reaper) startMain(s *Supervisor, spawn func() (int, error)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := spawn()
	if err != nil {
		return 0, err
	}
	r.owner[pid] = s
	return pid, nil
}

// children returns the program's children that may be s's: every child
// but the short commands and the main processes of other supervisors.
// With one supervisor in the program (tend's case) that is every child
// its daemon left; a program with several cannot tell their orphans apart
// without cgroups (see the package doc).
//
// It holds the lock while it reads /proc, so that a short command that is
// reaped meanwhile is not taken for a daemon's process.
func (r *reaper) children(s *Supervisor) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	kids, err := proc.Children(os.Getpid())
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(kids, func(pid int) bool {
		if r.short[pid] != nil {
			return true
		}
		o, ok := r.owner[pid]
		return ok && o != s
	})
}
