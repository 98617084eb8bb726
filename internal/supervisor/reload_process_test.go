//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/testexec"
)

// readyFDs returns the noted "ready-fd" processes: pid -> instance.
func (f *fixture) readyFDs() map[int]string {
	out := map[int]string{}
	b, _ := os.ReadFile(f.note)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "ready-fd "); ok {
			pid, inst, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(pid)
			out[n] = inst
		}
	}
	return out
}

// reloadFixture is a daemon on a --listen socket that says ready on fd 4,
// its environment from an env file that the test may edit.
func reloadFixture(t *testing.T) (*fixture, string) {
	f := newFixture(t, "ready-fd")
	envFile := filepath.Join(filepath.Dir(f.note), "env")
	os.WriteFile(envFile, []byte("A=1\n"), 0o600)
	f.def.Listen = []string{"tcp://127.0.0.1:0"}
	f.def.Ready = "fd:4"
	f.def.EnvFiles = []string{envFile}
	return f, envFile
}

// TestReloadReplaces: the new incarnation is ready before the old one is
// stopped; the old one goes, the new one serves.
func TestReloadReplaces(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f, _ := reloadFixture(t)
		s := f.start(noCgroup)
		if err := s.WaitReady(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		rec := s.Record()
		old := rec.Main()
		pid, err := s.Reload(stopCtx(t))
		if err != nil || pid == 0 || pid == old.PID {
			t.Fatalf("Reload: %d, %v (old %v)", pid, err, old)
		}
		gone(t, old)
		r := waitRecord(t, s, "the old one retired", func(r status.Record) bool { return len(r.Retiring) == 0 })
		if main := r.Main(); r.PID != pid || r.Reloads != 1 || r.State != status.Running || !main.Alive() {
			t.Errorf("record %+v", r)
		}
	})
}

// TestReloadFailedKeepsOld: a new version that exits before it is ready
// leaves the old one serving; the next restart still starts the old
// definition.
func TestReloadFailedKeepsOld(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f, envFile := reloadFixture(t)
		s := f.start(noCgroup)
		if err := s.WaitReady(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		rec := s.Record()
		old := rec.Main()
		os.WriteFile(envFile, []byte("FAIL=1\n"), 0o600)
		if _, err := s.Reload(stopCtx(t)); !errors.Is(err, ErrReloadFailed) {
			t.Fatalf("Reload of a failing version: %v", err)
		}
		if r := s.Record(); r.Main() != old || !old.Alive() || r.State != status.Running {
			t.Fatalf("after the failed reload: %+v (old %v alive %v)", r, old, old.Alive())
		}
		pid, err := s.Restart(stopCtx(t))
		if err != nil || pid == old.PID {
			t.Errorf("restart after the failed reload: %d, %v", pid, err)
		}
	})
}

// TestInstances: N instances, each with its TEND_INSTANCE, scaled down and
// up at run time, and stopped together.
func TestInstances(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f, _ := reloadFixture(t)
		f.def.Instances = 3
		s := f.start(noCgroup)
		if err := s.WaitReady(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		var running map[int]string
		testexec.WaitFor(t, 10*time.Second, "three instances", func() bool { running = f.readyFDs(); return len(running) == 3 })
		var instances []string
		for _, inst := range running {
			instances = append(instances, inst)
		}
		slices.Sort(instances)
		if !slices.Equal(instances, []string{"0", "1", "2"}) {
			t.Fatalf("instances %v", instances)
		}
		if r := s.Record(); r.InstanceCount != 3 || len(r.Instances) != 3 {
			t.Fatalf("record %+v", r)
		}
		if err := s.Scale(stopCtx(t), 1); err != nil {
			t.Fatal(err)
		}
		for pid, inst := range running {
			if id, err := proc.Lookup(pid); err == nil && id.Alive() != (inst == "0") {
				t.Errorf("instance %s (pid %d) alive: %v", inst, pid, id.Alive())
			}
		}
		if err := s.Scale(stopCtx(t), 2); err != nil {
			t.Fatal(err)
		}
		if r := s.Record(); r.InstanceCount != 2 || r.Instances[1].Index != 1 || !r.Instances[1].Ready {
			t.Errorf("after scaling up: %+v", r.Instances)
		}
		// A rolling reload replaces both.
		if _, err := s.Reload(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		if r := s.Record(); r.Instances[0].Reloads != 1 || r.Instances[1].Reloads != 1 {
			t.Errorf("after the reload: %+v", r.Instances)
		}
	})
}

// TestScaleRacesRestart (issue 25.2): tend scale and tend restart at
// once, in either order, with instances that take 300 ms to be ready:
// every scale and every restart returns, without error, once the daemon
// is as it asked (an instance that a restart replaced before it was
// ready answers the scale when its successor is; an instance that a
// scale takes away is not waited for by the restart).
func TestScaleRacesRestart(t *testing.T) {
	f := newFixture(t, "sleep")
	f.def.Instances = 2
	f.def.Ready = "after:300ms"
	s := f.start(true)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	for round, n := range []int{3, 1, 2, 1, 3, 2} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var scaleErr, restartErr error
		scale := func() { scaleErr = s.Scale(ctx, n) }
		restart := func() { _, restartErr = s.Restart(ctx) }
		first, second := scale, restart
		if round%2 == 1 {
			first, second = restart, scale
		}
		var wg sync.WaitGroup
		wg.Go(first)
		time.Sleep(time.Duration(round*8) * time.Millisecond)
		wg.Go(second)
		wg.Wait()
		cancel()
		if scaleErr != nil || restartErr != nil {
			t.Fatalf("round %d, scale to %d: scale: %v; restart: %v", round, n, scaleErr, restartErr)
		}
		var last status.Record
		defer func() {
			if t.Failed() {
				t.Logf("last record: %+v", last)
			}
		}()
		waitRecord(t, s, fmt.Sprintf("%d instances running", n), func(r status.Record) bool {
			last = r
			if n == 1 { // one instance: the record is the instance's
				return r.InstanceCount == 1 && len(r.Instances) == 0 && r.State == status.Running
			}
			if r.InstanceCount != n || len(r.Instances) != n {
				return false
			}
			for _, in := range r.Instances {
				if in.State != status.Running {
					return false
				}
			}
			return true
		})
	}
}
