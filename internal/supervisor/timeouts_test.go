package supervisor

import (
	"strings"
	"syscall"
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

// TestExtendStart: EXTEND_TIMEOUT_USEC= pushes the ready timeout to at
// least that long from now, never earlier, and must come again to push it
// further; the verdict then says the daemon had asked for more.
func TestExtendStart(t *testing.T) {
	m := machineIn(t, stStarting) // ready timeout 10s, from t0
	inc := m.cur.id
	m.step(event{kind: evExtend, at: t0.Add(8 * time.Second), inc: inc, interval: 5 * time.Second})
	m.step(event{kind: evExtend, at: t0.Add(9 * time.Second), inc: inc, interval: time.Second})
	if d := m.nextDeadline(); !d.Equal(t0.Add(13 * time.Second)) {
		t.Fatalf("ready timeout at %v, want 13s after the start", d.Sub(t0))
	}
	if out := m.tick(t0.Add(12 * time.Second)); len(out) != 0 {
		t.Fatalf("not ready before the extended timeout: %s", effectNames(out))
	}
	out := m.tick(t0.Add(13 * time.Second))
	if v := effect[doVerdict](out); v.err == nil || !strings.Contains(v.err.Error(), "EXTEND_TIMEOUT_USEC") || m.state != stStopping {
		t.Fatalf("verdict %v, state %v", v.err, m.state)
	}
}

// TestExtendStop: EXTEND_TIMEOUT_USEC= during a stop delays the next step
// of the schedule; a ready daemon's watchdog is pushed back alike.
func TestExtendStop(t *testing.T) {
	cfg := testConfig()
	cfg.watchdog = 2 * time.Second
	m := newMachine(cfg)
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evReady, at: t0, inc: 1})
	m.step(event{kind: evExtend, at: t0.Add(time.Second), inc: 1, interval: 4 * time.Second})
	if !m.cur.watchdogBy.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("watchdog due %v", m.cur.watchdogBy.Sub(t0))
	}
	m.step(event{kind: evStop, at: t0.Add(2 * time.Second), reply: newWaiter()}) // TERM, 1s
	m.step(event{kind: evExtend, at: t0.Add(2500 * time.Millisecond), inc: 1, interval: 3 * time.Second})
	if out := m.tick(t0.Add(5 * time.Second)); len(out) != 0 {
		t.Fatalf("the next step came before the extended end: %s", effectNames(out))
	}
	out := m.tick(t0.Add(5500 * time.Millisecond))
	if s := effect[doSignal](out); s.sig != syscall.SIGKILL || m.state != stStopping {
		t.Fatalf("after the extended step: %v, %+v", m.state, s)
	}
}

// TestExtendDuringReload: the incarnation starting beside the serving one
// may extend its ready timeout, and a retiring one its stop step.
func TestExtendDuringReload(t *testing.T) {
	m, _ := reloading(t) // incarnation 2 spawned at t0: ready timeout 10s
	m.step(event{kind: evExtend, at: t0.Add(9 * time.Second), inc: 2, interval: 4 * time.Second})
	if out := m.tick(t0.Add(12 * time.Second)); len(out) != 0 || m.next == nil {
		t.Fatalf("the new incarnation failed before its extended timeout: %s", effectNames(out))
	}
	m.step(event{kind: evReady, at: t0.Add(12 * time.Second), inc: 2})
	if len(m.retiring) != 1 {
		t.Fatalf("retiring %d", len(m.retiring))
	}
	m.step(event{kind: evExtend, at: t0.Add(12 * time.Second), inc: 1, interval: 5 * time.Second})
	if d := m.retiring[0].deadline; !d.Equal(t0.Add(17 * time.Second)) {
		t.Fatalf("the retiring incarnation's step ends at %v", d.Sub(t0))
	}
}
