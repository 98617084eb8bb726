package supervisor

import (
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/definition"
)

// The actions of the table (machine.go) for stop and restart requests,
// the stop schedule's steps, and the end of a daemon's life.

// stopIdle stops a daemon that is waiting to restart: nothing runs.
func stopIdle(m *machine, ev event) {
	m.deadline = time.Time{}
	if m.cfg.timer != nil {
		// Between two runs of a schedule: what the stop did is end it.
		m.reply([]*waiter{ev.reply}, result{how: "its schedule ended (no run was under way)"})
	} else {
		m.stopWaiters = append(m.stopWaiters, ev.reply)
	}
	m.log(slog.LevelInfo, "stop requested")
	m.finish(stDown, ev.at)
}

// restartNow starts the next incarnation without waiting out the backoff.
func restartNow(m *machine, ev event) {
	m.deadline = time.Time{}
	m.restartWaiters = append(m.restartWaiters, ev.reply)
	m.log(slog.LevelInfo, "restart requested")
	if m.cfg.timer != nil {
		m.run(ev.at) // a run now, out of schedule
		return
	}
	m.restarts++
	m.spawn(ev.at)
}

// beginStop runs the stop schedule on the incarnation (or goes on with
// the one already running), and answers once nothing is left.
func beginStop(m *machine, ev event) {
	m.log(slog.LevelInfo, "stop requested")
	m.stopWaiters = append(m.stopWaiters, ev.reply)
	m.reply(m.restartWaiters, result{err: ErrStopped})
	m.restartWaiters = nil
	m.beginSchedule(stStopping, ev.at)
}

// beginRestart runs the stop schedule on the incarnation, then starts a
// new one.
func beginRestart(m *machine, ev event) {
	m.log(slog.LevelInfo, "restart requested")
	m.restartWaiters = append(m.restartWaiters, ev.reply)
	m.fault = ""
	m.beginSchedule(stRestarting, ev.at)
}

func joinStop(m *machine, ev event) { m.stopWaiters = append(m.stopWaiters, ev.reply) }
func joinRestart(m *machine, ev event) {
	m.restartWaiters = append(m.restartWaiters, ev.reply)
	m.fault = "" // asked for: not held back by the start limit
}

// beginSchedule moves to a stopping state. A schedule already running (in
// another stopping state) goes on where it is; otherwise its first step
// starts now.
func (m *machine) beginSchedule(to state, now time.Time) {
	running := m.state == stStopping || m.state == stRestarting || m.state == stEnding
	m.state = to
	if m.cur != nil {
		m.cur.readyBy, m.cur.readyAt, m.cur.watchdogBy = time.Time{}, time.Time{}, time.Time{}
	}
	if running {
		return
	}
	m.schedStep = 0
	m.signalStep(now)
}

// signalStep sends the current step's signal to every process of the
// incarnation and sets the step's deadline.
func (m *machine) signalStep(now time.Time) {
	s := m.cfg.schedule[m.schedStep]
	m.emit(doSignal{inc: m.cur.id, sig: s.Signal, all: true, cont: s.Signal != syscall.SIGKILL && s.Signal != syscall.SIGCONT})
	m.deadline = now.Add(s.Wait)
}

// nextStep escalates when a step's time is up, and gives up after the
// last one.
func nextStep(m *machine, ev event) {
	if m.schedStep+1 < len(m.cfg.schedule) {
		m.schedStep++
		m.signalStep(ev.at)
		return
	}
	err := fmt.Errorf("stop %s: %w", m.cfg.schedule, ErrStopTimeout)
	m.err = err.Error()
	m.log(slog.LevelError, "processes survived the stop schedule", "schedule", m.cfg.schedule.String())
	m.emit(doEnd{m.cur.id})
	m.cur = nil
	m.reply(m.stopWaiters, result{err: err})
	m.reply(m.restartWaiters, result{err: err})
	m.stopWaiters, m.restartWaiters = nil, nil
	if m.state == stStopping && !m.startFailed {
		m.finish(stDown, ev.at)
		return
	}
	m.finish(stFailed, ev.at)
}

// stoppedMain records the main process's exit during a stop.
func stoppedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		stopped(m, ev)
	}
}

// stopped ends a stop: nothing of the incarnation is left.
func stopped(m *machine, ev event) {
	if inc := m.cur; inc != nil {
		m.cur = nil
		m.emit(doEnd{inc.id})
	}
	m.deadline = time.Time{}
	to := stDown
	if m.startFailed {
		to = stFailed
	}
	m.finish(to, ev.at)
}

// restartedMain records the main process's exit during a restart.
func restartedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		restarted(m, ev)
	}
}

// restarted starts the new incarnation once the old one has ended.
func restarted(m *machine, ev event) {
	inc := m.cur
	m.cur = nil
	m.emit(doEnd{inc.id})
	m.deadline = time.Time{}
	if why := m.fault; why != "" {
		// The daemon's own fault: throttled and limited as a crash is
		// (a daemon over --memory-max at once was restarted every
		// second, forever).
		m.fault = ""
		delay, ok := m.thr.next(ev.at, ev.at.Sub(inc.startedAt))
		if !ok {
			m.err = fmt.Sprintf("start limit hit: more than %d starts within %v; last restarted because %s",
				m.thr.limit.Burst, m.thr.limit.Interval, why)
			m.log(slog.LevelError, "failed", "err", m.err)
			m.finish(stFailed, ev.at)
			return
		}
		if delay > 0 {
			m.log(slog.LevelWarn, "restarting", "in", delay.String())
			m.state, m.deadline = stBackoff, ev.at.Add(delay)
			return
		}
	}
	m.restarts++
	m.spawn(ev.at)
}

// spawn starts a new incarnation.
func (m *machine) spawn(now time.Time) {
	m.cur = m.newIncarnation(now)
	m.state = stStarting
	m.emit(doSpawn{m.cur.id})
}

// finish moves to a final state: every stop request is answered, and the
// supervisor's work is done.
func (m *machine) finish(to state, now time.Time) {
	if to == stFailed && m.state != stFailed {
		defer m.hook(definition.HookOnFailure, m.lastExit)
	}
	m.state = to
	m.deadline = time.Time{}
	if len(m.retiring) > 0 {
		m.holding = true // onRetiree finishes once they are gone
		return
	}
	how := "was not running"
	if m.lastExit != nil {
		how = m.lastExit.Description
	}
	if to != stDown && m.lastExit != nil {
		how = fmt.Sprintf("it had already %s: %s", to.status(), m.lastExit.Description)
	}
	m.reply(m.stopWaiters, result{how: how})
	m.stopWaiters = nil
	m.reply(m.restartWaiters, result{err: ErrStopped})
	m.restartWaiters = nil
	if !m.verdict {
		m.decide(fmt.Errorf("%s is %s", m.cfg.name, to.status()))
	}
	m.emit(doFinish{})
}
