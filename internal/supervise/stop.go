package supervise

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// stopPoll is how often Stop looks for processes that vanished without the
// reaper noticing (descendants reparented to init rather than to us). It is
// the only polling in the package, and happens only during a stop.
const stopPoll = 20 * time.Millisecond

func (s *stopCall) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop ends supervision: it cancels any pending restart, so no child is
// started again, then runs the stop schedule against everything the child
// left behind: its process group, its descendants, and any process
// reparented to this program as a child subreaper. It returns once all of
// them are gone, with the main child's exit (nil if no child ever ran).
//
// If processes survive the last step, Stop returns an error wrapping
// ErrStopTimeout. If ctx ends first, Stop sends SIGKILL to everything it
// knows of and returns ctx.Err(), so nothing is left half-stopped. Stop may
// be called in any state and more than once; concurrent calls share one
// run of the schedule. After a Stop, the Process is Stopped (or stays
// Exited or Failed if it already was) and Done is closed.
//
// Processes reparented to the program cannot be told apart by the Process
// they came from, so in a program that runs several Processes, Stop also
// stops the orphans of the others.
func (p *Process) Stop(ctx context.Context) (*Exit, error) {
	p.mu.Lock()
	if sc := p.stop; sc != nil {
		p.mu.Unlock()
		select {
		case <-sc.done:
			return sc.exit, sc.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	sc := &stopCall{done: make(chan struct{})}
	p.stop, p.started, p.wantUp = sc, true, false
	if p.timer != nil {
		p.timer.Stop() // if it already fired, restart sees !wantUp
		p.timer = nil
	}
	final := p.snap.State == Exited || p.snap.State == Failed
	t := &stopTarget{reaper: p.reaper, child: p.child, pgid: p.pgid, exited: p.exited}
	if !final {
		p.snap.State, p.snap.NextStart = Stopping, time.Time{}
		p.emitLocked()
	}
	p.mu.Unlock()
	p.deliver()

	err := t.run(ctx, p.schedule())

	p.mu.Lock()
	if err != nil {
		p.snap.Err = err.Error()
	}
	if !final && p.child.PID == 0 {
		p.snap.State = Stopped
		p.finishLocked()
	}
	if p.snap.LastExit != nil {
		e := *p.snap.LastExit
		sc.exit = &e
	}
	sc.err = err
	close(sc.done)
	p.emitLocked()
	p.mu.Unlock()
	p.deliver()
	return sc.exit, err
}

// stopTarget is everything one Stop must make vanish.
type stopTarget struct {
	reaper  *reaper
	child   proc.Identity // the main child, if running when Stop began
	pgid    int           // its process group
	exited  chan struct{} // closed when the main child is reaped
	tracked map[int]proc.Identity
}

// run sends each step's signal and waits for everything to vanish.
func (t *stopTarget) run(ctx context.Context, sched Schedule) error {
	if t.pgid == 0 {
		return nil // never started
	}
	t.tracked = map[int]proc.Identity{}
	for i, step := range sched {
		if i == 0 {
			t.sendFirst(step.Signal)
		} else {
			if t.gone() {
				return nil
			}
			t.send(step.Signal)
		}
		if t.wait(ctx, step.Wait) {
			return nil
		}
		if ctx.Err() != nil {
			t.gone() // pick up late descendants
			t.send(syscall.SIGKILL)
			return ctx.Err()
		}
	}
	if t.gone() {
		return nil
	}
	return fmt.Errorf("supervise: stop %s: %s remain: %w", sched, t.describe(), ErrStopTimeout)
}

// wait waits up to d for everything to vanish, waking at every reap (and,
// for processes that are not our children, every stopPoll).
func (t *stopTarget) wait(ctx context.Context, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(stopPoll)
	defer tick.Stop()
	exited := t.exited
	for {
		changed := t.reaper.changes()
		if t.gone() {
			return true
		}
		if exited != nil && isClosed(exited) {
			exited = nil // a closed channel would make the select spin
		}
		select {
		case <-changed:
		case <-exited:
		case <-tick.C:
		case <-deadline.C:
			return t.gone()
		case <-ctx.Done():
			return false
		}
	}
}

// gone refreshes the set of tracked processes and reports whether the main
// child and every tracked process have vanished.
func (t *stopTarget) gone() bool {
	t.refresh()
	if t.exited != nil && !isClosed(t.exited) {
		return false
	}
	for pid, id := range t.tracked {
		if id.Alive() {
			return false
		}
		delete(t.tracked, pid)
	}
	return true
}

// refresh records, by Identity, the members of the child's process group,
// the child's descendants, and every orphan reparented to us with its
// descendants. Recording them while the tree is intact keeps them
// reachable after the child dies and they are reparented, even to init.
func (t *stopTarget) refresh() {
	var pids []int
	if t.groupIsOurs() {
		members, _ := proc.GroupMembers(t.pgid)
		pids = append(pids, members...)
	}
	if t.child.PID != 0 && t.child.Alive() {
		ds, _ := proc.Descendants(t.child.PID)
		pids = append(pids, ds...)
	}
	for _, o := range t.reaper.orphans() {
		ds, _ := proc.Descendants(o)
		pids = append(append(pids, o), ds...)
	}
	for _, pid := range pids {
		if _, ok := t.tracked[pid]; ok || pid == t.child.PID {
			continue
		}
		if id, err := proc.Lookup(pid); err == nil {
			t.tracked[pid] = id
		}
	}
}

// groupIsOurs reports whether the process group id t.pgid still names the
// child's group. A group id stays reserved while any member lives, so it
// does while the child (its leader) is unreaped, or while a process we
// identified earlier is still in it. Once neither holds, the group may be
// gone and its id handed to a stranger's new group: signalling -pgid then
// could hit the wrong processes.
func (t *stopTarget) groupIsOurs() bool {
	if t.exited != nil && !isClosed(t.exited) {
		return true
	}
	for _, id := range t.tracked {
		if g, err := id.ProcessGroup(); err == nil && g == t.pgid {
			return true
		}
	}
	return false
}

// send delivers sig to the main child (in case it left its group), the
// group while it is ours, and every tracked process. Errors mean the target
// is already gone.
func (t *stopTarget) send(sig syscall.Signal) {
	if t.child.PID != 0 {
		t.child.Signal(sig)
	}
	if t.groupIsOurs() {
		unix.Kill(-t.pgid, sig) // all members at once, even ones just forked
	}
	for _, id := range t.tracked {
		id.Signal(sig)
	}
}

// sendFirst delivers the first signal of the schedule without scanning
// /proc first: to the main child and its group at once, then to the
// descendants that left the group, which the scan finds. A descendant
// that the first signal orphans is reparented to us (the supervisor is a
// subreaper) and found by the next scan.
func (t *stopTarget) sendFirst(sig syscall.Signal) {
	if t.child.PID != 0 {
		t.child.Signal(sig)
	}
	if t.groupIsOurs() {
		unix.Kill(-t.pgid, sig)
	}
	t.refresh()
	for _, id := range t.tracked {
		if g, err := id.ProcessGroup(); err == nil && g == t.pgid {
			continue // the group signal reached it
		}
		id.Signal(sig)
	}
}

func (t *stopTarget) describe() string {
	var pids []int
	if t.exited != nil && !isClosed(t.exited) {
		pids = append(pids, t.child.PID)
	}
	for pid := range t.tracked {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	return fmt.Sprintf("pids %v", pids)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// schedule is the stop schedule of the spec, or the default.
func (p *Process) schedule() Schedule {
	if len(p.spec.Stop) == 0 {
		return DefaultSchedule()
	}
	return p.spec.Stop
}
