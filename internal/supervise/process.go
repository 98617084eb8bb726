package supervise

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// Process runs one command and keeps it running according to its Spec. Its
// methods are safe for concurrent use. Create it with New.
type Process struct {
	spec     Spec
	onChange func(Snapshot)
	reaper   *reaper
	done     chan struct{}

	mu         sync.Mutex
	snap       Snapshot
	started    bool          // Start or Stop has been called
	wantUp     bool          // false once Stop is called: no more starts
	child      proc.Identity // the running child; zero when none
	pgid       int           // the last child's process group; 0 before any
	exited     chan struct{} // closed once the last child has been reaped
	timer      *time.Timer   // the pending restart, while BackingOff
	thr        *throttle
	stop       *stopCall // the Stop in progress or done
	restarting bool      // a Restart is replacing the child
	doneClosed bool
	pending    []Snapshot // onChange deliveries, in order
	delivering bool
}

// stopCall lets concurrent Stops share one run of the schedule.
type stopCall struct {
	done chan struct{}
	exit *Exit
	err  error
}

// New returns a Process for spec, in state Stopped until Start is called.
// onChange, if not nil, is called with a Snapshot after every change of
// state, one call at a time and in order, from whichever goroutine made the
// change (the reaper's handler, a restart timer, or a Start or Stop caller).
// It may call the Process's methods, but should return promptly. Calls are
// not synchronous with the methods: a call reporting a change may still be
// under way, on another goroutine, when Start or Stop returns.
func New(spec Spec, onChange func(Snapshot)) *Process {
	return &Process{
		spec:     spec,
		onChange: onChange,
		reaper:   sharedReaper(),
		done:     make(chan struct{}),
		snap:     Snapshot{State: Stopped},
		thr:      newThrottle(spec.Backoff, spec.StartLimit),
	}
}

// Start starts the first child. Errors that prevent the program from
// running (not found, not executable, a bad Dir or Credential) are returned
// here, leave nothing running, and put the Process in state Failed. Later
// children are started by the restart policy alone. Start returns
// ErrStarted if called twice or after Stop.
func (p *Process) Start() error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return ErrStarted
	}
	p.started, p.wantUp = true, true
	err := p.spawnLocked(time.Now())
	if err != nil {
		p.snap.State, p.snap.Err = Failed, err.Error()
		p.finishLocked()
		p.emitLocked()
	}
	p.mu.Unlock()
	p.deliver()
	return err
}

// Signal sends sig to the running child, or with group to its whole process
// group. It returns ErrNotRunning when no child is running. The child is
// named by its proc.Identity, so a signal never reaches a process that
// reused the pid.
func (p *Process) Signal(sig syscall.Signal, group bool) error {
	p.mu.Lock()
	id := p.child
	p.mu.Unlock()
	if id.PID == 0 {
		return ErrNotRunning
	}
	var err error
	if group {
		err = id.SignalGroup(sig)
	} else {
		err = id.Signal(sig)
	}
	if err != nil {
		return fmt.Errorf("supervise: signal %s: %w", proc.SignalName(sig), err)
	}
	return nil
}

// Snapshot returns the current state.
func (p *Process) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snapshotLocked()
}

// Done returns a channel that is closed once no child will be started again:
// the Process is Stopped (after Stop has finished), Failed, or Exited.
func (p *Process) Done() <-chan struct{} {
	return p.done
}

// spawnLocked starts one incarnation. On failure it records the exec
// failure as LastExit and returns the error.
func (p *Process) spawnLocked(now time.Time) error {
	p.snap.State = Starting
	p.emitLocked()
	p.thr.started(now)
	pid, start, err := p.spawn()
	if err != nil {
		p.snap.LastExit = execExit(err, time.Now())
		return err
	}
	p.child = proc.Identity{PID: pid, StartTime: start}
	p.pgid = pid
	p.exited = make(chan struct{})
	p.snap.State, p.snap.PID, p.snap.StartTime = Running, pid, start
	p.snap.StartedAt, p.snap.NextStart, p.snap.Err = now, time.Time{}, ""
	p.emitLocked()
	return nil
}

// childExited is the reaper's report that the main child ended.
func (p *Process) childExited(pid int, ws unix.WaitStatus) {
	p.mu.Lock()
	if pid != p.child.PID {
		p.mu.Unlock()
		return
	}
	now := time.Now()
	exit := &Exit{Code: proc.ExitCode(ws), Description: proc.DescribeExit(ws), At: now}
	if ws.Signaled() {
		exit.Signal = proc.SignalName(ws.Signal())
	}
	p.child = proc.Identity{}
	close(p.exited)
	p.snap.PID, p.snap.StartTime, p.snap.LastExit = 0, 0, exit
	switch {
	case p.wantUp && p.restarting:
		// Restart starts the next child once everything is gone.
	case p.wantUp:
		p.afterExitLocked(now, now.Sub(p.snap.StartedAt), exit.Code)
	case p.stop != nil && p.stop.finished():
		// Stop gave up on this child earlier; now it is gone.
		p.snap.State, p.snap.Err = Stopped, ""
		p.finishLocked()
	}
	p.emitLocked()
	p.mu.Unlock()
	p.deliver()
}

// afterExitLocked applies the restart policy to an exit (or failed start).
func (p *Process) afterExitLocked(now time.Time, ranFor time.Duration, code int) {
	if !p.spec.Restart.restarts(code) {
		p.snap.State = Exited
		p.finishLocked()
		return
	}
	delay, ok := p.thr.next(now, ranFor)
	if !ok {
		p.snap.State = Failed
		p.snap.Err = fmt.Sprintf("supervise: start limit hit: more than %d starts within %v",
			p.thr.limit.Burst, p.thr.limit.Interval)
		p.finishLocked()
		return
	}
	p.snap.State, p.snap.NextStart = BackingOff, now.Add(delay)
	p.timer = time.AfterFunc(delay, p.restart)
}

// restart runs when the backoff timer fires. Stop may have been called
// meanwhile (and failed to stop the timer in time): wantUp says.
func (p *Process) restart() {
	p.mu.Lock()
	if !p.wantUp || p.restarting || p.snap.State != BackingOff {
		p.mu.Unlock()
		return
	}
	p.timer = nil
	p.snap.Restarts++
	now := time.Now()
	if err := p.spawnLocked(now); err != nil {
		p.snap.Err = err.Error()
		p.afterExitLocked(now, 0, p.snap.LastExit.Code)
		p.emitLocked()
	}
	p.mu.Unlock()
	p.deliver()
}

func (p *Process) finishLocked() {
	if !p.doneClosed {
		p.doneClosed = true
		close(p.done)
	}
}

func (p *Process) snapshotLocked() Snapshot {
	s := p.snap
	if s.LastExit != nil {
		e := *s.LastExit
		s.LastExit = &e
	}
	return s
}

// emitLocked queues the current state for onChange.
func (p *Process) emitLocked() {
	if p.onChange != nil {
		p.pending = append(p.pending, p.snapshotLocked())
	}
}

// deliver runs queued onChange calls outside the lock. Only one goroutine
// delivers at a time; others leave their snapshots to it, which keeps the
// calls in order without holding the lock during user code.
func (p *Process) deliver() {
	p.mu.Lock()
	if p.delivering {
		p.mu.Unlock()
		return
	}
	p.delivering = true
	for len(p.pending) > 0 {
		s := p.pending[0]
		p.pending = p.pending[1:]
		p.mu.Unlock()
		p.onChange(s)
		p.mu.Lock()
	}
	p.delivering = false
	p.mu.Unlock()
}
