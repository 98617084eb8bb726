//go:build linux

package supervise

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

func TestRestartReplacesChild(t *testing.T) {
	spec, out := helperSpec(t, "sleep")
	spec.Restart = Never // Restart does not ask the policy
	var pids []int
	spec.Prepare = func() (Incarnation, error) {
		return Incarnation{Env: append(append([]string{}, spec.Env...), "INCARNATION=x"), Started: func(pid int) { pids = append(pids, pid) }}, nil
	}
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	first := p.Snapshot().PID
	if err := p.Restart(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	out.next(t)
	snap := p.Snapshot()
	if snap.State != Running || snap.PID == first || snap.Restarts != 1 || !gone(first) {
		t.Fatalf("after Restart: %+v; first pid %d gone=%v", snap, first, gone(first))
	}
	if len(pids) != 2 || pids[1] != snap.PID {
		t.Errorf("Prepare's Started saw %v, want [%d %d]", pids, first, snap.PID)
	}
	env, _ := os.ReadFile("/proc/" + itoa(snap.PID) + "/environ")
	if !strings.Contains(string(env), "INCARNATION=x") {
		t.Errorf("Prepare's Env not applied")
	}
	if _, err := p.Stop(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(stopCtx(t)); !errors.Is(err, ErrStopped) {
		t.Errorf("Restart after Stop: %v, want ErrStopped", err)
	}
}

func TestRestartWhileBackingOff(t *testing.T) {
	spec, _ := helperSpec(t, "exit", "3")
	spec.Backoff = Backoff{Initial: time.Hour, Max: time.Hour}
	p := New(spec, nil)
	start(t, p)
	testexec.WaitFor(t, 10*time.Second, "backing off", func() bool { return p.Snapshot().State == BackingOff })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p.Restart(ctx) // the child may be gone again before Restart returns
	// One immediate restart after the first crash, then this one.
	if s := p.Snapshot(); s.Restarts != 2 {
		t.Fatalf("Restart while backing off: %+v", s)
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
