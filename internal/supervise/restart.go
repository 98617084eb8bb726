package supervise

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrStopped reports a Restart of a Process that was stopped, or that
	// will not run again (Failed, Exited), or that was never started.
	ErrStopped = errors.New("supervise: stopped")
	// ErrRestarting reports a Restart while another is under way.
	ErrRestarting = errors.New("supervise: a restart is already under way")
)

// Restart replaces the child: it runs the stop schedule against the running
// child and everything it left behind, as Stop does, then starts a new
// child at once, whatever the restart policy says. A Process that is
// backing off starts its next child now. The new start counts as a restart
// (Snapshot.Restarts) and toward the start limit's window, but the limit is
// not applied to it: it was asked for.
//
// Restart returns once the new child was started, or with the start's
// error, after which the restart policy applies as after any failed start.
// If processes survive the schedule, or ctx ends first (everything is then
// sent SIGKILL), the error is returned and no new child is started by
// Restart; the restart policy takes over when the old child exits. Stop
// wins over Restart: a Stop during a Restart stops everything and Restart
// returns ErrStopped.
func (p *Process) Restart(ctx context.Context) error {
	p.mu.Lock()
	if !p.started || !p.wantUp || p.doneClosed {
		p.mu.Unlock()
		return ErrStopped
	}
	if p.restarting {
		p.mu.Unlock()
		return ErrRestarting
	}
	p.restarting = true
	if p.timer != nil {
		p.timer.Stop() // if it already fired, restart sees restarting
		p.timer = nil
	}
	t := &stopTarget{reaper: p.reaper, child: p.child, pgid: p.pgid, exited: p.exited}
	if p.child.PID != 0 {
		p.snap.State = Stopping
		p.emitLocked()
	}
	p.mu.Unlock()
	p.deliver()

	err := t.run(ctx, p.schedule())

	p.mu.Lock()
	p.restarting = false
	switch {
	case !p.wantUp:
		err = ErrStopped // Stop took over; it finishes the job
	case err != nil:
		p.snap.Err = err.Error()
		if p.child.PID != 0 {
			p.snap.State = Running // still there; its exit goes to the policy
		} else {
			p.restartNowLocked()
		}
		p.emitLocked()
	default:
		err = p.restartNowLocked()
	}
	p.mu.Unlock()
	p.deliver()
	return err
}

// restartNowLocked starts the next child of a Restart.
func (p *Process) restartNowLocked() error {
	p.snap.Restarts++
	now := time.Now()
	err := p.spawnLocked(now)
	if err != nil {
		p.snap.Err = err.Error()
		p.afterExitLocked(now, 0, p.snap.LastExit.Code)
		p.emitLocked()
	}
	return err
}
