package supervisor

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// reloading returns a machine that serves incarnation 1 and reloads: its
// incarnation 2 has started beside it, not ready yet, and the reload's
// waiter.
func reloading(t *testing.T) (*machine, *waiter) {
	t.Helper()
	m := machineIn(t, stUp)
	w := newWaiter()
	out := m.step(event{kind: evReload, at: t0, reply: w})
	if m.state != stReloading || effect[doSpawn](out).inc != 2 || m.cur.id != 1 {
		t.Fatalf("reload: %v, effects %s", m.state, effectNames(out))
	}
	m.step(event{kind: evSpawned, at: t0, inc: 2, main: proc.Identity{PID: 200, StartTime: 2}})
	return m, w
}

// TestReload: the new incarnation is ready before the old one goes; the
// old one is stopped in the background, and the daemon serves throughout.
func TestReload(t *testing.T) {
	m, w := reloading(t)
	out := m.step(event{kind: evReady, at: t0.Add(time.Second), inc: 2})
	if r := effect[doReply](out); r.w != w || r.r.pid != 200 || r.r.err != nil {
		t.Fatalf("reply %+v", r)
	}
	if s := effect[doSignal](out); s.inc != 1 || s.sig != syscall.SIGTERM || !s.all {
		t.Fatalf("the old incarnation is not stopped: %+v", s)
	}
	if m.state != stUp || m.cur.id != 2 || !m.cur.ready || m.reloads != 1 || len(m.retiring) != 1 {
		t.Fatalf("after the reload: %v, cur %d, reloads %d, retiring %d", m.state, m.cur.id, m.reloads, len(m.retiring))
	}
	// The old one's exit changes nothing but the retiring list.
	out = m.step(event{kind: evMainExit, at: t0.Add(2 * time.Second), inc: 1, exit: &status.Exit{Code: 143}, empty: true})
	if effect[doEnd](out).inc != 1 || len(m.retiring) != 0 || m.state != stUp || m.lastExit != nil {
		t.Fatalf("old exit: %v, effects %s, last exit %+v", m.state, effectNames(out), m.lastExit)
	}
}

// TestReloadFailed: a new incarnation that exits, or is not ready in
// time, is stopped and the old one serves on; the reload says why.
func TestReloadFailed(t *testing.T) {
	t.Run("exits", func(t *testing.T) {
		m, w := reloading(t)
		out := m.step(event{kind: evMainExit, at: t0, inc: 2, exit: &status.Exit{Code: 1, Description: "exited with status 1"}, empty: true})
		if r := effect[doReply](out); r.w != w || !errors.Is(r.r.err, ErrReloadFailed) {
			t.Fatalf("reply %+v", r)
		}
		if m.state != stUp || m.cur.id != 1 || m.next != nil || effect[doSignal](out).inc != 0 {
			t.Fatalf("after the failure: %v, cur %d, effects %s", m.state, m.cur.id, effectNames(out))
		}
	})
	t.Run("not ready", func(t *testing.T) {
		m, w := reloading(t)
		out := m.tick(t0.Add(m.cfg.readyTimeout))
		if r := effect[doReply](out); r.w != w || !errors.Is(r.r.err, ErrReloadFailed) {
			t.Fatalf("reply %+v", r)
		}
		if s := effect[doSignal](out); s.inc != 2 || m.cur.id != 1 || m.state != stUp {
			t.Fatalf("the new incarnation is not stopped: %+v, %v", s, m.state)
		}
	})
}

// TestStopDuringReload: both incarnations stop, and the stop is answered
// once neither has a process left.
func TestStopDuringReload(t *testing.T) {
	m, rw := reloading(t)
	sw := newWaiter()
	out := m.step(event{kind: evStop, at: t0, reply: sw})
	if r := effect[doReply](out); r.w != rw || !errors.Is(r.r.err, ErrStopped) {
		t.Fatalf("the reload's answer: %+v", r)
	}
	out = m.step(event{kind: evMainExit, at: t0, inc: 1, exit: &status.Exit{Code: 143, Description: "killed by signal TERM"}, empty: true})
	if m.state != stDown || hasEffect[doFinish](out) {
		t.Fatal("finished while the new incarnation has processes")
	}
	out = m.step(event{kind: evEmpty, at: t0, inc: 2})
	if r := effect[doReply](out); r.w != sw || r.r.how != "killed by signal TERM" || !hasEffect[doFinish](out) {
		t.Fatalf("the stop's answer: %+v, effects %s", r, effectNames(out))
	}
}

// TestOldEndsDuringReload: the serving incarnation dies while the new
// one starts: the new one takes its place, and the reload is answered
// when it is ready.
func TestOldEndsDuringReload(t *testing.T) {
	m, w := reloading(t)
	m.step(event{kind: evMainExit, at: t0, inc: 1, exit: &status.Exit{Code: 137, Description: "killed by signal KILL"}, empty: true})
	if m.state != stStarting || m.cur.id != 2 {
		t.Fatalf("%v, cur %d", m.state, m.cur.id)
	}
	out := m.step(event{kind: evReady, at: t0, inc: 2})
	if r := effect[doReply](out); r.w != w || r.r.pid != 200 || m.state != stUp {
		t.Fatalf("reply %+v, %v", r, m.state)
	}
}

// TestSignalReload: with a reload signal the daemon reloads itself; with
// notify readiness the reload waits for READY=1 again.
func TestSignalReload(t *testing.T) {
	for _, notify := range []bool{false, true} {
		cfg := testConfig()
		cfg.reloadSignal, cfg.readyNotify = syscall.SIGHUP, notify
		m := newMachine(cfg)
		m.step(event{kind: evStart, at: t0})
		m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
		m.step(event{kind: evReady, at: t0, inc: 1})
		w := newWaiter()
		out := m.step(event{kind: evReload, at: t0, reply: w})
		if s := effect[doSignal](out); s.sig != syscall.SIGHUP || s.all || m.state != stUp {
			t.Fatalf("notify %v: %+v, %v", notify, s, m.state)
		}
		if !notify {
			if r := effect[doReply](out); r.w != w || r.r.pid != mainPID.PID {
				t.Fatalf("reply %+v", r)
			}
			continue
		}
		if hasEffect[doReply](out) {
			t.Fatal("answered before READY=1")
		}
		out = m.step(event{kind: evReady, at: t0, inc: 1})
		if r := effect[doReply](out); r.w != w || r.r.pid != mainPID.PID || m.reloads != 1 {
			t.Fatalf("reply %+v", r)
		}
	}
}

// hasEffect reports whether effects hold one of type E.
func hasEffect[E any](effects []any) bool {
	for _, e := range effects {
		if _, ok := e.(E); ok {
			return true
		}
	}
	return false
}
