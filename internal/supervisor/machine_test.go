package supervisor

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func testConfig() machineConfig {
	return machineConfig{
		policy:          definition.OnFailure,
		schedule:        definition.Schedule{{Signal: syscall.SIGTERM, Wait: time.Second}, {Signal: syscall.SIGKILL, Wait: time.Second}},
		readyTimeout:    10 * time.Second,
		healthThreshold: 1,
		hasHealth:       true,
		name:            "web",
	}
}

var mainPID = proc.Identity{PID: 100, StartTime: 1}

// machineIn returns a machine in state st, reached through events where
// that is short, and the effects of its last step.
func machineIn(t *testing.T, st state) *machine {
	t.Helper()
	m := newMachine(testConfig())
	feed := func(ev event) {
		t.Helper()
		ev.at = t0
		if ev.inc == 0 && m.cur != nil && ev.kind != evStop && ev.kind != evRestart && ev.kind != evReload {
			ev.inc = m.cur.id
		}
		m.step(ev)
	}
	switch st {
	case stDown:
	case stStarting, stUp, stStopping, stRestarting, stReloading, stEnding:
		feed(event{kind: evStart})
		feed(event{kind: evSpawned, main: mainPID})
		switch st {
		case stUp:
			feed(event{kind: evReady})
		case stStopping:
			feed(event{kind: evReady})
			feed(event{kind: evStop, reply: newWaiter()})
		case stRestarting:
			feed(event{kind: evReady})
			feed(event{kind: evRestart, reply: newWaiter()})
		case stReloading:
			feed(event{kind: evReady})
			feed(event{kind: evReload, reply: newWaiter()})
		case stEnding:
			feed(event{kind: evReady})
			feed(event{kind: evMainExit, exit: &status.Exit{Code: 1, Description: "exited with status 1"}})
		}
	case stBackoff:
		m.state, m.deadline, m.verdict = stBackoff, t0.Add(time.Second), true
		*m.ids, m.spawns = 1, 1
	case stFailed, stExited:
		m.state, m.verdict = st, true
		*m.ids, m.spawns = 1, 1
	}
	if m.state != st {
		t.Fatalf("setting up %v: machine is %v", st, m.state)
	}
	return m
}

// testEvent is an event of each kind with what its actions need.
func testEvent(kind eventKind) event {
	ev := event{kind: kind, at: t0.Add(time.Millisecond)}
	switch kind {
	case evStop, evRestart, evReload:
		ev.reply = newWaiter()
	case evSpawned:
		ev.main = mainPID
	case evSpawnFailed:
		ev.exit = &status.Exit{Code: 127, Description: "cannot run: not found"}
	case evMainExit:
		ev.exit = &status.Exit{Code: 1, Description: "exited with status 1"}
		ev.empty = true
	case evHealth:
		ev.ok, ev.result = false, "connection refused"
	case evAdopted:
		ev.main, ev.how = proc.Identity{PID: 200, StartTime: 2}, "the only process left"
	case evResume:
		ev.resumed = &resumption{inc: 7, main: mainPID, startedAt: t0, ready: true, restarts: 2}
	}
	return ev
}

// effectNames names the effects' types, in order: "spawn signal reply".
func effectNames(effects []any) string {
	var names []string
	for _, e := range effects {
		names = append(names, strings.TrimPrefix(reflect.TypeOf(e).Name(), "do"))
	}
	return strings.Join(names, " ")
}

// withoutLogs drops the log effects, which every cell may add.
func withoutLogs(effects []any) []any {
	var out []any
	for _, e := range effects {
		if _, ok := e.(doLog); !ok {
			out = append(out, e)
		}
	}
	return out
}

// TestTable checks every cell of the table: the state the machine moves
// to and the effects it asks for (log lines aside).
func TestTable(t *testing.T) {
	type cell struct {
		to      state
		effects string
	}
	same := func(st state) cell { return cell{st, ""} }
	want := map[state]map[eventKind]cell{
		stDown: {
			evStart: {stStarting, "Spawn"}, evStop: {stDown, "Reply"}, evRestart: {stDown, "Reply"}, evReload: {stDown, "Reply"},
			evResume: {stUp, "Health"}, // taken over: its verdict was given to whoever started it
		},
		stStarting: {
			evStop: {stStopping, "Signal"}, evRestart: {stRestarting, "Signal"},
			evSpawned:     same(stStarting),
			evSpawnFailed: {stFailed, "End Verdict Finish"},
			evMainExit:    {stFailed, "End Verdict Finish"}, // the first, not ready: the start fails, not retried
			evEmpty:       {stFailed, "End Verdict Finish"},
			evReady:       {stUp, "Verdict Health"},
			evNotReady:    {stStopping, "Verdict Signal"},
			evReload:      {stRestarting, "Signal"},
		},
		stUp: {
			evStop: {stStopping, "Signal"}, evRestart: {stRestarting, "Signal"},
			evMainExit: {stStarting, "End Spawn"}, evEmpty: {stStarting, "End Spawn"},
			evFault: {stRestarting, "Signal"}, evHealth: {stRestarting, "Signal"},
			evReload: {stReloading, "Spawn"},
		},
		stBackoff: {
			evStop: {stDown, "Reply Finish"}, evRestart: {stStarting, "Spawn"}, evTimer: {stStarting, "Spawn"},
			evReload: {stStarting, "Spawn"},
		},
		stStopping: {
			evRestart: {stStopping, "Reply"}, evReload: {stStopping, "Reply"},
			evMainExit: {stDown, "End Reply Finish"}, evEmpty: {stDown, "End Reply Finish"},
			evTimer: {stStopping, "Signal"},
		},
		stRestarting: {
			evStop:     {stStopping, "Reply"},
			evMainExit: {stStarting, "End Spawn"}, evEmpty: {stStarting, "End Spawn"},
			evTimer: {stRestarting, "Signal"},
		},
		stReloading: {
			// Events of the serving incarnation; the new one's are in
			// TestReload.
			evStop:     {stStopping, "Signal Reply Signal"},
			evMainExit: {stStarting, "End"}, evEmpty: {stStarting, "End"},
		},
		stEnding: {
			evStop: same(stStopping), evRestart: same(stRestarting), evReload: same(stRestarting),
			evMainExit: {stStarting, "End Spawn"}, evEmpty: {stStarting, "End Spawn"},
			evTimer: {stEnding, "Signal"},
		},
		stFailed: {evStop: {stFailed, "Reply"}, evRestart: {stFailed, "Reply"}, evReload: {stFailed, "Reply"}},
		stExited: {evStop: {stExited, "Reply"}, evRestart: {stExited, "Reply"}, evReload: {stExited, "Reply"}},
	}
	for st := state(0); st < nStates; st++ {
		for kind := eventKind(0); kind < nEvents; kind++ {
			t.Run(st.String()+"/"+kind.String(), func(t *testing.T) {
				m := machineIn(t, st)
				ev := testEvent(kind)
				if m.cur != nil && kind != evStop && kind != evRestart && kind != evStart && kind != evReload && kind != evResume {
					ev.inc = m.cur.id
				}
				c, ok := want[st][kind]
				if !ok {
					c = same(st)
				}
				got := effectNames(withoutLogs(m.step(ev)))
				if m.state != c.to || got != c.effects {
					t.Errorf("%v + %v: now %v with effects [%s]; want %v with [%s]", st, kind, m.state, got, c.to, c.effects)
				}
			})
		}
	}
}

// TestStaleEventsDropped checks that events about an incarnation that has
// ended change nothing.
func TestStaleEventsDropped(t *testing.T) {
	m := machineIn(t, stUp)
	old := m.cur.id
	m.step(event{kind: evMainExit, at: t0, inc: old, exit: &status.Exit{Code: 1}, empty: true})
	if m.state != stStarting || m.cur.id == old {
		t.Fatalf("after the crash: %v, incarnation %d", m.state, m.cur.id)
	}
	for kind := evSpawned; kind < nEvents; kind++ {
		ev := testEvent(kind)
		ev.inc = old
		if out := m.step(ev); len(out) != 0 || m.state != stStarting {
			t.Errorf("stale %v: effects %s, state %v", kind, effectNames(out), m.state)
		}
	}
}

// TestCrashLoopFails drives an instant crash loop on the fake clock: the
// default backoff restarts at 0, 0, 0.1, 0.3, 0.7 s and the start limit
// fails the daemon at the fifth crash.
func TestCrashLoopFails(t *testing.T) {
	m := newMachine(testConfig())
	now := t0
	m.step(event{kind: evStart, at: now})
	var starts []time.Duration
	for range 10 {
		starts = append(starts, now.Sub(t0))
		m.step(event{kind: evSpawned, at: now, inc: m.cur.id, main: mainPID})
		m.step(event{kind: evReady, at: now, inc: m.cur.id})
		m.step(event{kind: evMainExit, at: now, inc: m.cur.id, exit: &status.Exit{Code: 2, Description: "exited with status 2"}, empty: true})
		if m.state == stBackoff {
			now = m.deadline
			m.step(event{kind: evTimer, at: now})
		}
		if m.state == stFailed {
			break
		}
	}
	ms := time.Millisecond
	if want := []time.Duration{0, 0, 100 * ms, 300 * ms, 700 * ms}; !reflect.DeepEqual(starts, want) {
		t.Errorf("starts at %v, want %v", starts, want)
	}
	if m.state != stFailed || !strings.Contains(m.err, "start limit hit") || !strings.Contains(m.err, "exited with status 2") {
		t.Errorf("state %v, err %q", m.state, m.err)
	}
	if m.restarts != 4 {
		t.Errorf("restarts = %d, want 4", m.restarts)
	}
}

// TestStopSchedule walks the schedule step by step and gives up after the
// last one.
func TestStopSchedule(t *testing.T) {
	m := machineIn(t, stUp)
	w := newWaiter()
	out := m.step(event{kind: evStop, at: t0, reply: w})
	if s := effect[doSignal](out); s.sig != syscall.SIGTERM || !s.all || !s.cont {
		t.Fatalf("first step: %+v", s)
	}
	if !m.nextDeadline().Equal(t0.Add(time.Second)) {
		t.Fatalf("deadline %v", m.nextDeadline())
	}
	out = m.tick(t0.Add(time.Second))
	if s := effect[doSignal](out); s.sig != syscall.SIGKILL || s.cont {
		t.Fatalf("second step: %+v", s)
	}
	out = m.tick(t0.Add(2 * time.Second))
	r := effect[doReply](out)
	if !errors.Is(r.r.err, ErrStopTimeout) || m.state != stDown {
		t.Fatalf("after the last step: %v, reply %+v", m.state, r.r)
	}
}

// TestStopAnswersWithExit checks that a stop is answered with how the main
// process ended, once nothing is left.
func TestStopAnswersWithExit(t *testing.T) {
	m := machineIn(t, stUp)
	w := newWaiter()
	m.step(event{kind: evStop, at: t0, reply: w})
	m.step(event{kind: evMainExit, at: t0, inc: m.cur.id, exit: &status.Exit{Code: 143, Description: "killed by signal TERM"}, empty: false})
	if m.state != stStopping {
		t.Fatalf("a process is left: %v", m.state)
	}
	out := m.step(event{kind: evEmpty, at: t0, inc: m.cur.id})
	if r := effect[doReply](out); r.w != w || r.r.how != "killed by signal TERM" || m.state != stDown {
		t.Fatalf("reply %+v, state %v", r, m.state)
	}
}

// TestForkingIsFollowed: a main process that exits 0 leaving others is
// followed to the one adopted, whose exit then counts; the launcher's
// exit 0 is no last exit (the one before it stays).
func TestForkingIsFollowed(t *testing.T) {
	m := machineIn(t, stUp)
	inc := m.cur.id
	before := &status.Exit{Code: 137, Signal: "KILL", Description: "killed by signal KILL"}
	m.lastExit = before
	out := m.step(event{kind: evMainExit, at: t0, inc: inc, exit: &status.Exit{Code: 0, Description: "exited with status 0"}})
	if effect[doAdopt](out).inc != inc || m.state != stUp || m.lastExit != before {
		t.Fatalf("effects %s, state %v, last exit %+v", effectNames(out), m.state, m.lastExit)
	}
	adopted := proc.Identity{PID: 300, StartTime: 3}
	m.step(event{kind: evAdopted, at: t0, inc: inc, main: adopted, how: "the only process left"})
	if m.cur.main != adopted || m.cur.adopted != "the only process left" {
		t.Fatalf("main %v (%q)", m.cur.main, m.cur.adopted)
	}
	out = m.step(event{kind: evMainExit, at: t0.Add(time.Minute), inc: inc, exit: &status.Exit{Code: 1, Description: "exited with status 1"}, empty: true})
	if m.state != stStarting || m.lastExit.Code != 1 || effectNames(withoutLogs(out)) != "End Spawn" {
		t.Fatalf("after the adopted process failed: %v, last exit %+v, effects %s", m.state, m.lastExit, effectNames(out))
	}
}

// TestFailureStopsLeftovers: a main process that fails leaving others has
// them stopped before the policy restarts the daemon.
func TestFailureStopsLeftovers(t *testing.T) {
	m := machineIn(t, stUp)
	out := m.step(event{kind: evMainExit, at: t0, inc: m.cur.id, exit: &status.Exit{Code: 3, Description: "exited with status 3"}})
	if m.state != stEnding || effect[doSignal](out).sig != syscall.SIGTERM {
		t.Fatalf("state %v, effects %s", m.state, effectNames(out))
	}
	out = m.step(event{kind: evEmpty, at: t0, inc: m.cur.id})
	if m.state != stStarting || m.lastExit.Code != 3 {
		t.Fatalf("state %v, last exit %+v, effects %s", m.state, m.lastExit, effectNames(out))
	}
}

// TestPIDFileReadiness: with --pidfile and --ready exec, the daemon is
// ready when its main process is adopted, and a search that finds none
// fails the start.
func TestPIDFileReadiness(t *testing.T) {
	cfg := testConfig()
	cfg.readyOnAdopt = true
	for _, found := range []bool{true, false} {
		t.Run(fmt.Sprint("found=", found), func(t *testing.T) {
			m := newMachine(cfg)
			m.step(event{kind: evStart, at: t0})
			m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
			m.step(event{kind: evMainExit, at: t0, inc: 1, exit: &status.Exit{Code: 0}})
			ev := event{kind: evAdopted, at: t0, inc: 1, how: "pidfile /run/x.pid"}
			if found {
				ev.main = proc.Identity{PID: 400, StartTime: 4}
			}
			out := m.step(ev)
			v := effect[doVerdict](out)
			switch {
			case found && (v.err != nil || m.state != stUp):
				t.Fatalf("verdict %v, state %v", v.err, m.state)
			case !found && (v.err == nil || m.state != stStopping):
				t.Fatalf("verdict %v, state %v", v.err, m.state)
			}
		})
	}
}

// TestReadyTimeout: the first incarnation that is not ready in time fails
// the start and is stopped, leaving the daemon failed.
func TestReadyTimeout(t *testing.T) {
	m := machineIn(t, stStarting)
	if d := m.nextDeadline(); !d.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("deadline %v", d)
	}
	out := m.tick(t0.Add(10 * time.Second))
	if v := effect[doVerdict](out); v.err == nil || !strings.Contains(v.err.Error(), "not ready within 10s") {
		t.Fatalf("verdict %v", v.err)
	}
	m.step(event{kind: evEmpty, at: t0, inc: m.cur.id})
	if m.state != stFailed {
		t.Fatalf("state %v", m.state)
	}
}

// TestWatchdog: a ready daemon that stops pinging is restarted.
func TestWatchdog(t *testing.T) {
	cfg := testConfig()
	cfg.watchdog = 2 * time.Second
	m := newMachine(cfg)
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evReady, at: t0, inc: 1})
	m.step(event{kind: evPing, at: t0.Add(time.Second), inc: 1})
	if out := m.tick(t0.Add(2 * time.Second)); len(out) != 0 {
		t.Fatalf("restarted despite the ping: %s", effectNames(out))
	}
	out := m.tick(t0.Add(3 * time.Second))
	if m.state != stRestarting || effect[doSignal](out).sig != syscall.SIGTERM {
		t.Fatalf("state %v, effects %s", m.state, effectNames(out))
	}
}

// TestRestartAnswersWhenReady: a restart is answered with the new main
// process once it is ready, not before.
func TestRestartAnswersWhenReady(t *testing.T) {
	m := machineIn(t, stUp)
	w := newWaiter()
	m.step(event{kind: evRestart, at: t0, reply: w})
	m.step(event{kind: evEmpty, at: t0, inc: m.cur.id})
	if m.state != stStarting {
		t.Fatalf("state %v", m.state)
	}
	m.step(event{kind: evSpawned, at: t0, inc: m.cur.id, main: proc.Identity{PID: 500}})
	if len(w.c) != 0 {
		t.Fatal("answered before ready")
	}
	out := m.step(event{kind: evReady, at: t0, inc: m.cur.id})
	if r := effect[doReply](out); r.w != w || r.r.pid != 500 || m.restarts != 1 {
		t.Fatalf("reply %+v, restarts %d", r.r, m.restarts)
	}
}

// TestRestartBeforeVerdict: a restart of an incarnation not yet ready
// (tend restart racing tend start or tend scale, issue 25.2) hands the
// verdict on: the next incarnation's readiness answers both the restart
// and whoever waits for the start, and its failure fails the start
// rather than being retried behind its back.
func TestRestartBeforeVerdict(t *testing.T) {
	for _, fails := range []bool{false, true} {
		m := machineIn(t, stStarting)
		w := newWaiter()
		m.step(event{kind: evRestart, at: t0, reply: w})
		out := m.step(event{kind: evEmpty, at: t0, inc: m.cur.id})
		if m.state != stStarting || effect[doVerdict](out) != (doVerdict{}) || !m.cur.first {
			t.Fatalf("after the old one ended: %v, effects %s, first %v", m.state, effectNames(out), m.cur.first)
		}
		m.step(event{kind: evSpawned, at: t0, inc: m.cur.id, main: proc.Identity{PID: 500}})
		if fails {
			out = m.step(event{kind: evMainExit, at: t0, inc: m.cur.id, empty: true, exit: &status.Exit{Code: 1, Description: "exited with status 1"}})
			if v, r := effect[doVerdict](out), effect[doReply](out); !hasEffect[doVerdict](out) || v.err == nil || r.w != w || r.r.err == nil || m.state != stFailed {
				t.Errorf("a failed restart before the verdict: %v, effects %s", m.state, effectNames(out))
			}
			continue
		}
		out = m.step(event{kind: evReady, at: t0, inc: m.cur.id})
		if v, r := effect[doVerdict](out), effect[doReply](out); !hasEffect[doVerdict](out) || v.err != nil || r.w != w || r.r.pid != 500 {
			t.Errorf("ready after a restart before the verdict: effects %s (%+v, %+v)", effectNames(out), v, r.r)
		}
	}
}

// effect returns the first effect of type E.
func effect[E any](effects []any) E {
	for _, e := range effects {
		if x, ok := e.(E); ok {
			return x
		}
	}
	var zero E
	return zero
}
