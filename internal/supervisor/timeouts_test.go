package supervisor

import (
	"testing"
	"time"

	"github.com/tendhq/tend/internal/status"
)

// TestWatchdogOverride: WATCHDOG_USEC= sets the interval of the
// incarnation that sent it, before it is ready too; the next incarnation
// starts from --watchdog again, as systemd resets the override at every
// start.
func TestWatchdogOverride(t *testing.T) {
	cfg := testConfig()
	cfg.watchdog = 2 * time.Second
	m := newMachine(cfg)
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evPing, at: t0, inc: 1, interval: 300 * time.Millisecond})
	m.step(event{kind: evReady, at: t0.Add(time.Second), inc: 1})
	if want := t0.Add(1300 * time.Millisecond); !m.cur.watchdogBy.Equal(want) {
		t.Fatalf("watchdog of the overriding incarnation due %v, want %v", m.cur.watchdogBy, want)
	}
	m.step(event{kind: evPing, at: t0.Add(1200 * time.Millisecond), inc: 1})
	if want := t0.Add(1500 * time.Millisecond); !m.cur.watchdogBy.Equal(want) {
		t.Fatalf("after a ping: due %v, want %v", m.cur.watchdogBy, want)
	}
	m.step(event{kind: evMainExit, at: t0.Add(1300 * time.Millisecond), inc: 1, empty: true,
		exit: &status.Exit{Code: 3, Description: "exited with status 3"}})
	if m.state != stStarting || m.cur.id != 2 {
		t.Fatalf("after the crash: %v", m.state)
	}
	at := t0.Add(2 * time.Second)
	m.step(event{kind: evSpawned, at: at, inc: 2, main: mainPID})
	m.step(event{kind: evReady, at: at, inc: 2})
	if want := at.Add(2 * time.Second); !m.cur.watchdogBy.Equal(want) {
		t.Fatalf("the next incarnation's watchdog due %v, want %v (--watchdog)", m.cur.watchdogBy, want)
	}
	if out := m.tick(at.Add(time.Second)); len(out) != 0 || m.state != stUp {
		t.Fatalf("the override outlived its incarnation: %v, %s", m.state, effectNames(out))
	}
}

// TestWatchdogOverrideAcrossReload: the new incarnation of a reload keeps
// the interval it asked for before it served, and the old one's does not
// pass to it.
func TestWatchdogOverrideAcrossReload(t *testing.T) {
	cfg := testConfig()
	cfg.watchdog = 2 * time.Second
	m := newMachine(cfg)
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evReady, at: t0, inc: 1})
	m.step(event{kind: evPing, at: t0, inc: 1, interval: 5 * time.Second})
	m.step(event{kind: evReload, at: t0, reply: newWaiter()})
	m.step(event{kind: evSpawned, at: t0, inc: 2, main: mainPID})
	m.step(event{kind: evPing, at: t0, inc: 2, interval: 700 * time.Millisecond})
	m.step(event{kind: evReady, at: t0.Add(time.Second), inc: 2})
	if m.cur.id != 2 || !m.cur.watchdogBy.Equal(t0.Add(1700*time.Millisecond)) {
		t.Fatalf("incarnation %d, watchdog due %v", m.cur.id, m.cur.watchdogBy)
	}
}
