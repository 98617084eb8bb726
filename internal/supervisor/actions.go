package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// The actions of the table (machine.go): one small function per kind of
// cell, and the steps they share.

func nop(*machine, event) {}

// first starts the daemon's first incarnation.
func first(m *machine, ev event) {
	if m.cfg.timer != nil {
		m.firstRun(ev.at)
		return
	}
	m.spawn(ev.at)
}

// resumption is where a daemon was when its host died, for the host
// that takes it over (see Supervisor.resume): the incarnation that runs,
// or none, and the counts that status shows.
type resumption struct {
	inc       int           // the incarnation that runs; 0: none
	main      proc.Identity // its main process; zero when none is known
	adopted   string
	startedAt time.Time
	ready     bool
	restarts  int
	reloads   int
	lastExit  *status.Exit
	// nextStart is when the next start is due, when none runs (zero:
	// now).
	nextStart time.Time
	runs      runs // of a task (tasks.go)
}

// resumed takes over an incarnation that a host before this one started
// (its verdict was given then), or, when none runs, schedules the next
// start: the daemon died while no host was there to restart it.
func resumed(m *machine, ev event) {
	r := ev.resumed
	m.verdict = true
	m.restarts, m.reloads, m.lastExit = r.restarts, r.reloads, r.lastExit
	*m.ids = max(*m.ids, r.inc)
	m.spawns = max(m.spawns, 1)
	if m.resumeTask(r, ev.at) {
		return
	}
	if r.inc == 0 {
		m.log(slog.LevelInfo, "taken over: nothing runs; starting it again")
		m.state, m.deadline = stBackoff, r.nextStart
		if m.deadline.Before(ev.at) {
			m.deadline = ev.at
		}
		return
	}
	inc := &incarnation{id: r.inc, main: r.main, adopted: r.adopted, startedAt: r.startedAt}
	m.cur, m.state = inc, stStarting
	m.log(slog.LevelInfo, "taken over", "pid", r.main.PID, "incarnation", r.inc)
	switch {
	case r.ready, m.cfg.readyAtExec:
		m.becomeReady(ev.at)
		return
	case m.cfg.readyAfter > 0:
		inc.readyAt = r.startedAt.Add(m.cfg.readyAfter)
	}
	if m.cfg.readyTimeout > 0 {
		inc.readyBy = ev.at.Add(m.cfg.readyTimeout)
	}
}

// notRunning answers a stop when nothing runs.
func notRunning(m *machine, ev event) {
	m.reply([]*waiter{ev.reply}, result{how: "was not running"})
}

// refuse answers a restart that cannot be done here.
func refuse(m *machine, ev event) {
	m.reply([]*waiter{ev.reply}, result{err: ErrStopped})
}

// spawned records the incarnation's first process and starts waiting for
// it to be ready.
func spawned(m *machine, ev event) {
	inc := m.cur
	inc.main = ev.main
	m.log(slog.LevelInfo, "started", "pid", ev.main.PID, "incarnation", inc.id, "restarts", m.restarts)
	switch {
	case m.cfg.readyAtExec:
		m.becomeReady(ev.at)
		return
	case m.cfg.readyAfter > 0:
		inc.readyAt = ev.at.Add(m.cfg.readyAfter)
	}
	if m.cfg.readyTimeout > 0 { // a one-shot may have none
		inc.readyBy = ev.at.Add(m.cfg.readyTimeout)
	}
}

// spawnFailed handles a command that could not be started: the first
// start fails the daemon; later ones go to the restart policy.
func spawnFailed(m *machine, ev event) {
	inc := m.cur
	inc.exit = ev.exit
	m.err = ev.exit.Description
	m.log(slog.LevelError, "start failed", "err", ev.exit.Description)
	if inc.first {
		m.lastExit = ev.exit
		m.cur = nil
		m.emit(doEnd{inc.id})
		m.decide(errors.New(ev.exit.Description))
		m.reply(m.restartWaiters, result{err: errors.New(ev.exit.Description)})
		m.restartWaiters = nil
		m.finish(stFailed, ev.at)
		return
	}
	ended(m, ev)
}

// ready makes the incarnation ready.
func ready(m *machine, ev event) { m.becomeReady(ev.at) }

func (m *machine) becomeReady(now time.Time) {
	inc := m.cur
	inc.ready, inc.readyBy, inc.readyAt = true, time.Time{}, time.Time{}
	m.state = stUp
	m.err = ""
	if d := m.watchdogOf(inc); d > 0 {
		inc.watchdogBy = now.Add(d)
	}
	m.log(slog.LevelInfo, "ready", "pid", inc.main.PID, "after", now.Sub(inc.startedAt).Round(time.Millisecond).String())
	if inc.first {
		m.decide(nil)
	}
	m.reply(m.restartWaiters, result{pid: inc.main.PID})
	m.restartWaiters = nil
	if m.cfg.hasHealth {
		m.emit(doHealth{inc.id})
	}
}

// notReady handles an incarnation that was not ready in time: the first
// one fails the start (and is stopped); a later one is restarted.
func notReady(m *machine, ev event) {
	err := fmt.Errorf("%s was %s", m.cfg.name, ev.how)
	m.log(slog.LevelWarn, "not ready", "pid", m.cur.main.PID, "err", err.Error())
	if m.cur.first {
		m.decide(err)
		m.err = err.Error()
		m.beginSchedule(stStopping, ev.at)
		return
	}
	m.reply(m.restartWaiters, result{err: err})
	m.restartWaiters = nil
	fault(m, event{kind: evFault, at: ev.at, inc: ev.inc, how: ev.how})
}

// fault restarts a ready incarnation that the watchdog, the health probe
// or the daemon itself (WATCHDOG=trigger) gave up on.
func fault(m *machine, ev event) {
	m.log(slog.LevelWarn, "restarting", "pid", m.cur.main.PID, "reason", ev.how)
	if m.state != stRestarting || m.fault != "" {
		m.fault = ev.how
	}
	m.beginSchedule(stRestarting, ev.at)
}

// ping pushes the watchdog's deadline back, after setting the
// incarnation's interval when the ping brings one (WATCHDOG_USEC=).
func ping(m *machine, ev event) {
	setWatchdog(m, ev)
	if d := m.watchdogOf(m.cur); d > 0 {
		m.cur.watchdogBy = ev.at.Add(d)
	}
}

// setWatchdog keeps the interval that a ping brings (WATCHDOG_USEC=) for
// the incarnation; before it is ready, that is all: its watchdog starts
// when it is.
func setWatchdog(m *machine, ev event) {
	if ev.interval > 0 {
		m.cur.watchdog = ev.interval
	}
}

// extend gives the incarnation more time, as systemd does for
// EXTEND_TIMEOUT_USEC=: every timeout that runs (the ready timeout, the
// step of a stop schedule, the watchdog) ends no earlier than ev.interval
// from now. It never brings one closer, and the daemon must ask again
// before the new end to extend it again.
func extend(m *machine, ev event) {
	until := ev.at.Add(ev.interval)
	if later(&m.cur.readyBy, until) {
		m.cur.extended = true
	}
	later(&m.cur.watchdogBy, until)
	later(&m.deadline, until) // runs here only in the stopping states
}

// later moves a running deadline *t to until if that is later, and says
// whether it did.
func later(t *time.Time, until time.Time) bool {
	if t.IsZero() || !t.Before(until) {
		return false
	}
	*t = until
	return true
}

// health counts failed probes in a row and restarts at the threshold.
func health(m *machine, ev event) {
	inc := m.cur
	if ev.ok {
		inc.healthFail = 0
		return
	}
	inc.healthFail++
	if inc.healthFail >= m.cfg.healthThreshold {
		fault(m, event{kind: evFault, at: ev.at, inc: ev.inc,
			how: fmt.Sprintf("unhealthy: %d health checks failed in a row (%s)", inc.healthFail, ev.result)})
	}
}

// adopted records the main process found after the old one exited 0.
func adopted(m *machine, ev event) {
	inc := m.cur
	if ev.main.PID == 0 {
		inc.main, inc.adopted = proc.Identity{}, ""
		if !inc.ready && m.cfg.readyOnAdopt {
			notReady(m, ev)
			return
		}
		m.log(slog.LevelWarn, "no main process: signals go to all of its processes", "why", ev.how)
		return
	}
	inc.main, inc.adopted = ev.main, ev.how
	m.log(slog.LevelInfo, "adopted", "pid", ev.main.PID, "how", ev.how)
	if !inc.ready && m.cfg.readyOnAdopt {
		m.becomeReady(ev.at)
	}
}

// mainExited handles the end of the main process of a running
// incarnation: if nothing else is left, the incarnation has ended; if it
// exited 0 leaving others (a program that daemonizes itself), one of them
// becomes the main process; if it failed, the others are stopped.
func mainExited(m *machine, ev event) {
	inc := m.cur
	last := m.lastExit
	m.recordExit(ev)
	switch {
	case ev.empty:
		ended(m, ev)
	case m.cfg.isTask():
		m.log(slog.LevelInfo, "it left other processes: stopping them", "how", ev.exit.Description)
		m.beginSchedule(stEnding, ev.at)
	case ev.exit.Code == 0:
		// The launcher of a program that daemonizes itself: its exit 0
		// hands over to the daemon proper, and is no last exit to show;
		// the incarnation keeps it (inc.exit) for when it ends.
		m.lastExit = last
		m.log(slog.LevelInfo, "it left other processes: following them")
		m.emit(doAdopt{inc.id})
	default:
		m.log(slog.LevelWarn, "it failed leaving other processes: stopping them", "how", ev.exit.Description)
		m.beginSchedule(stEnding, ev.at)
	}
}

// recordExit keeps the main process's exit; the first one is the
// incarnation's (a later, adopted main process's exit only if none came
// before with a failure).
func (m *machine) recordExit(ev event) {
	inc := m.cur
	if inc.exit == nil || inc.exit.Code == 0 {
		inc.exit = ev.exit
	}
	m.lastExit = ev.exit
	m.log(slog.LevelInfo, "main process exited", "pid", inc.main.PID, "how", ev.exit.Description)
	inc.main = proc.Identity{}
	m.hook(definition.HookOnExit, ev.exit)
}

// ended handles an incarnation with no process left: the restart policy
// decides what comes next.
func ended(m *machine, ev event) {
	inc := m.cur
	m.cur = nil
	m.deadline = time.Time{}
	m.emit(doEnd{inc.id})
	exit := inc.exit
	if exit == nil {
		exit = &status.Exit{Code: -1, Description: "its processes are gone (exit status unknown)", At: ev.at}
	}
	m.lastExit = exit
	if m.cfg.isTask() && m.taskEnded(inc, exit, ev.at) {
		return
	}
	if !inc.ready {
		err := fmt.Errorf("%s %s before it was ready%s", m.cfg.name, exit.Description, m.cfg.unseenLine())
		m.reply(m.restartWaiters, result{err: err})
		m.restartWaiters = nil
		if inc.first {
			// The start failed: it is not retried behind the back of
			// whoever waits for its verdict, and its exit stays the last.
			m.decide(err)
			m.err = err.Error()
			m.log(slog.LevelError, "failed", "how", exit.Description, "err", m.err)
			m.finish(stFailed, ev.at)
			return
		}
	}
	if !m.cfg.policy.Restarts(exit.Code) {
		m.log(slog.LevelInfo, "exited", "how", exit.Description)
		m.finish(stExited, ev.at)
		return
	}
	delay, ok := m.thr.next(ev.at, ev.at.Sub(inc.startedAt))
	if !ok {
		m.err = fmt.Sprintf("start limit hit: more than %d starts within %v; last exit: %s",
			m.thr.limit.Burst, m.thr.limit.Interval, exit.Description)
		m.log(slog.LevelError, "failed", "how", exit.Description, "err", m.err)
		m.finish(stFailed, ev.at)
		return
	}
	m.log(slog.LevelWarn, "ended; restarting", "how", exit.Description, "in", delay.String())
	if delay == 0 {
		m.restarts++
		m.spawn(ev.at)
		return
	}
	m.state, m.deadline = stBackoff, ev.at.Add(delay)
}

// endedMain handles a main process's exit while its leftovers are being
// stopped.
func endedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		ended(m, ev)
	}
}

// backoffOver starts the next incarnation.
func backoffOver(m *machine, ev event) {
	if m.cfg.timer != nil {
		m.run(ev.at)
		return
	}
	m.restarts++
	m.spawn(ev.at)
}
