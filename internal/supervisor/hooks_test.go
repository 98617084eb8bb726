package supervisor

import (
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
)

// TestMachineHooks: with hooks, every exit of the main process emits the
// on-exit hook with that exit and the restarts so far, and failing for
// good (here the start limit, 1 start) the on-failure hook after it;
// without hooks, nothing.
func TestMachineHooks(t *testing.T) {
	hooksOf := func(out []any) (names []string, exits []*status.Exit) {
		for _, e := range out {
			if h, ok := e.(doHook); ok {
				names, exits = append(names, h.hook), append(exits, h.exit)
			}
		}
		return names, exits
	}
	cfg := testConfig()
	cfg.onExit, cfg.onFailure = true, true
	cfg.limit = definition.StartLimit{Burst: 1, Interval: time.Minute}
	m := newMachine(cfg)
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evReady, at: t0, inc: 1})
	exit := &status.Exit{Code: 3, Description: "exited with status 3"}
	out := m.step(event{kind: evMainExit, at: t0, inc: 1, exit: exit, empty: true})
	names, exits := hooksOf(out)
	if len(names) != 2 || names[0] != definition.HookOnExit || names[1] != definition.HookOnFailure || exits[0] != exit || exits[1] != exit {
		t.Errorf("a crash that hits the start limit: hooks %v with %v, in %v", names, exits, out)
	}
	if m.state != stFailed {
		t.Errorf("state %v", m.state)
	}

	m = newMachine(testConfig())
	m.step(event{kind: evStart, at: t0})
	m.step(event{kind: evSpawned, at: t0, inc: 1, main: mainPID})
	m.step(event{kind: evReady, at: t0, inc: 1})
	if names, _ := hooksOf(m.step(event{kind: evMainExit, at: t0, inc: 1, exit: exit, empty: true})); len(names) > 0 {
		t.Errorf("hooks without --on-exit: %v", names)
	}
}
