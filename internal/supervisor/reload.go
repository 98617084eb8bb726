package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/proc"
)

// Reloads: the new incarnation is ready before the old one goes.
//
// In stReloading the current incarnation (cur) serves while the next one
// (next) starts beside it, with the same sockets. Events about next go to
// onNext: once it is ready, cur retires (the stop schedule runs on it in
// the background: onRetiree) and next becomes cur; if it exits, fails to
// start or is not ready in time, it is stopped and cur serves on. A reload
// with cfg.reloadSignal instead sends that signal to cur's main process
// and, with notify readiness, waits for READY=1 again.

// ErrReloadFailed is wrapped by the answer to a reload whose new
// incarnation did not become ready; the old one serves on.
var ErrReloadFailed = errors.New("the new incarnation did not become ready; the old one serves on")

// beginReload starts a reload of a ready incarnation.
func beginReload(m *machine, ev event) {
	m.reloadWaiters = append(m.reloadWaiters, ev.reply)
	if m.cfg.reloadSignal != 0 {
		m.log(slog.LevelInfo, "reload requested", "signal", proc.SignalName(m.cfg.reloadSignal))
		m.emit(doSignal{inc: m.cur.id, sig: m.cfg.reloadSignal})
		if !m.cfg.readyNotify {
			m.reply(m.reloadWaiters, result{pid: m.cur.main.PID})
			m.reloadWaiters = nil
			return
		}
		// RELOADING=1, then READY=1: readyAgain answers.
		m.sigReload = true
		m.cur.readyBy = ev.at.Add(m.cfg.readyTimeout)
		return
	}
	m.log(slog.LevelInfo, "reload requested: starting a new incarnation beside the running one")
	m.next = m.newIncarnation(ev.at)
	m.state = stReloading
	m.emit(doSpawn{m.next.id})
}

// joinReload answers a second reload with the first's outcome.
func joinReload(m *machine, ev event) { m.reloadWaiters = append(m.reloadWaiters, ev.reply) }

// readyAgain ends a signal reload: the daemon said READY=1 again.
func readyAgain(m *machine, ev event) {
	if !m.sigReload {
		return
	}
	m.sigReload, m.cur.readyBy = false, time.Time{}
	m.reloads++
	m.log(slog.LevelInfo, "reloaded", "pid", m.cur.main.PID)
	m.reply(m.reloadWaiters, result{pid: m.cur.main.PID})
	m.reloadWaiters = nil
}

// notReadyAgain ends a signal reload that got no READY=1 in time: the
// daemon runs on, and the reload is answered with the failure.
func notReadyAgain(m *machine, ev event) {
	if !m.sigReload {
		return
	}
	m.sigReload = false
	err := fmt.Errorf("%s was %s after the reload signal: %w", m.cfg.name, ev.how, ErrReloadFailed)
	m.log(slog.LevelWarn, "reload: not ready again", "err", err.Error())
	m.reply(m.reloadWaiters, result{err: err})
	m.reloadWaiters = nil
}

// stopReloading stops a daemon in the middle of a reload: the new
// incarnation retires, and the stop schedule runs on the old one.
func stopReloading(m *machine, ev event) {
	m.retire(m.next, ev.at)
	m.next = nil
	m.reply(m.reloadWaiters, result{err: ErrStopped})
	m.reloadWaiters = nil
	m.state = stUp // beginStop moves on from a serving incarnation
	beginStop(m, ev)
}

// oldEnded handles the end (or the failure) of the serving incarnation
// during a reload: what it left retires, and the new incarnation takes its
// place at once, still starting; the reload is answered when it is ready.
func oldEnded(m *machine, ev event) {
	old := m.cur
	if ev.kind == evMainExit {
		m.recordExit(ev)
	}
	m.log(slog.LevelWarn, "the serving incarnation ended during the reload; the new one takes its place")
	if ev.kind == evMainExit && !ev.empty {
		m.retire(old, ev.at)
	} else {
		m.emit(doEnd{old.id})
	}
	m.cur, m.next = m.next, nil
	m.restartWaiters = append(m.restartWaiters, m.reloadWaiters...)
	m.reloadWaiters = nil
	m.state = stStarting
	if m.cur.ready {
		m.becomeReady(ev.at)
	}
}

// onNext handles the events of the incarnation that starts beside the
// serving one.
func (m *machine) onNext(ev event) {
	inc := m.next
	switch ev.kind {
	case evSpawned:
		inc.main = ev.main
		m.log(slog.LevelInfo, "started", "pid", ev.main.PID, "incarnation", inc.id, "beside", m.cur.main.PID)
		switch {
		case m.cfg.readyAtExec && m.cfg.settle:
			// The old one goes only once the new one has settled: one
			// that fails at once (a broken new version) leaves it serving.
			m.emit(doSettle{inc: inc.id, main: ev.main})
		case m.cfg.readyAtExec:
			m.nextReady(ev.at)
			return
		case m.cfg.readyAfter > 0:
			inc.readyAt = ev.at.Add(m.cfg.readyAfter)
		}
		inc.readyBy = ev.at.Add(m.cfg.readyTimeout)
	case evSpawnFailed:
		m.emit(doEnd{inc.id})
		m.next = nil
		m.reloadFailed(ev.at, ev.exit.Description)
	case evReady:
		m.nextReady(ev.at)
	case evPing:
		if ev.interval > 0 {
			inc.watchdog = ev.interval // its watchdog starts when it serves
		}
	case evExtend:
		if later(&inc.readyBy, ev.at.Add(ev.interval)) {
			inc.extended = true
		}
	case evNotReady:
		m.retire(inc, ev.at)
		m.next = nil
		m.reloadFailed(ev.at, ev.how)
	case evMainExit:
		m.log(slog.LevelInfo, "main process exited", "pid", inc.main.PID, "how", ev.exit.Description)
		inc.exit, inc.main = ev.exit, proc.Identity{}
		switch {
		case ev.empty:
			m.emit(doEnd{inc.id})
			m.next = nil
			m.reloadFailed(ev.at, ev.exit.Description+" before it was ready")
		case ev.exit.Code == 0:
			m.emit(doAdopt{inc.id})
		default:
			m.retire(inc, ev.at)
			m.next = nil
			m.reloadFailed(ev.at, ev.exit.Description+" before it was ready")
		}
	case evEmpty:
		m.emit(doEnd{inc.id})
		m.next = nil
		how := "its processes are gone"
		if inc.exit != nil {
			how = inc.exit.Description
		}
		m.reloadFailed(ev.at, how+" before it was ready")
	case evAdopted:
		inc.main, inc.adopted = ev.main, ev.how
		switch {
		case ev.main.PID != 0 && m.cfg.readyOnAdopt:
			m.nextReady(ev.at)
		case ev.main.PID != 0 && m.cfg.readyAtExec && m.cfg.settle && !inc.ready:
			m.emit(doSettle{inc: inc.id, main: ev.main}) // it daemonized itself: the one it left settles
		case ev.main.PID == 0 && m.cfg.readyOnAdopt:
			m.retire(inc, ev.at)
			m.next = nil
			m.reloadFailed(ev.at, ev.how)
		}
	}
}

// nextReady completes a reload: the new incarnation serves, the old one
// retires.
func (m *machine) nextReady(now time.Time) {
	old, inc := m.cur, m.next
	inc.ready, inc.readyBy, inc.readyAt = true, time.Time{}, time.Time{}
	m.cur, m.next = inc, nil
	m.retire(old, now)
	m.state = stUp
	m.reloads++
	m.err = ""
	if d := m.watchdogOf(inc); d > 0 {
		inc.watchdogBy = now.Add(d)
	}
	m.log(slog.LevelInfo, "reloaded: the new incarnation is ready; the old one stops",
		"pid", inc.main.PID, "old", old.main.PID, "after", now.Sub(inc.startedAt).Round(time.Millisecond).String())
	m.reply(m.reloadWaiters, result{pid: inc.main.PID})
	m.reloadWaiters = nil
	if m.cfg.hasHealth {
		m.emit(doHealth{inc.id})
	}
}

// reloadFailed answers a reload whose new incarnation failed; the old one
// serves on.
func (m *machine) reloadFailed(now time.Time, why string) {
	err := fmt.Errorf("%s: %s: %w", m.cfg.name, why, ErrReloadFailed)
	m.err = "last reload failed: " + why
	m.log(slog.LevelWarn, "reload failed; the old incarnation serves on", "why", why)
	m.state = stUp
	m.reply(m.reloadWaiters, result{err: err})
	m.reloadWaiters = nil
}

// retire runs the stop schedule on inc in the background.
func (m *machine) retire(inc *incarnation, now time.Time) {
	if inc == nil {
		return
	}
	inc.readyBy, inc.readyAt, inc.watchdogBy = time.Time{}, time.Time{}, time.Time{}
	r := &retiree{inc: inc}
	m.retiring = append(m.retiring, r)
	m.signalRetiree(r, now)
}

func (m *machine) signalRetiree(r *retiree, now time.Time) {
	s := m.cfg.schedule[r.step]
	m.emit(doSignal{inc: r.inc.id, sig: s.Signal, all: true, cont: s.Signal != syscall.SIGKILL && s.Signal != syscall.SIGCONT})
	r.deadline = now.Add(s.Wait)
}

// retiree returns the retiring incarnation with id inc, or nil.
func (m *machine) retiree(inc int) *retiree {
	for _, r := range m.retiring {
		if r.inc.id == inc {
			return r
		}
	}
	return nil
}

// onRetiree follows a retiring incarnation to its end.
func (m *machine) onRetiree(ev event) {
	r := m.retiree(ev.inc)
	switch ev.kind {
	case evMainExit:
		r.inc.main = proc.Identity{}
		if !ev.empty {
			return
		}
	case evEmpty:
	case evExtend:
		later(&r.deadline, ev.at.Add(ev.interval))
		return
	case evTimer:
		if r.step+1 < len(m.cfg.schedule) {
			r.step++
			m.signalRetiree(r, ev.at)
			return
		}
		m.log(slog.LevelError, "processes of a retired incarnation survived the stop schedule", "incarnation", r.inc.id)
	default:
		return
	}
	m.emit(doEnd{r.inc.id})
	for i, x := range m.retiring {
		if x == r {
			m.retiring = append(m.retiring[:i], m.retiring[i+1:]...)
			break
		}
	}
	if len(m.retiring) == 0 && m.holding {
		m.holding = false
		m.finish(m.state, ev.at)
	}
}

// newIncarnation makes the next incarnation of this instance. It is the
// first (its outcome is the start's verdict) until a verdict was given:
// an incarnation that a restart replaced before it was ready hands the
// verdict on to the one that replaces it, so that whoever waits for the
// start (tend start, tend scale) hears of it.
func (m *machine) newIncarnation(now time.Time) *incarnation {
	*m.ids++
	m.spawns++
	m.thr.started(now)
	return &incarnation{id: *m.ids, first: !m.verdict, startedAt: now}
}
