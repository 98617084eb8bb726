//go:build linux

package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"

	"github.com/tendhq/tend/internal/testexec"
)

func TestStopEscalates(t *testing.T) {
	spec, out := helperSpec(t, "ignore-term")
	spec.Stop = Schedule{{syscall.SIGTERM, 300 * time.Millisecond}, {syscall.SIGKILL, 5 * time.Second}}
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	begin := time.Now()
	exit, err := p.Stop(stopCtx(t))
	took := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	if exit == nil || exit.Signal != "KILL" {
		t.Errorf("exit %+v, want killed by KILL", exit)
	}
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("Stop took %v, want between the TERM wait and the KILL wait", took)
	}
}

func TestStopTimeout(t *testing.T) {
	spec, out := helperSpec(t, "ignore-term")
	spec.Stop = Schedule{{syscall.SIGTERM, 50 * time.Millisecond}}
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	pid := p.Snapshot().PID
	_, err := p.Stop(stopCtx(t))
	if !errors.Is(err, ErrStopTimeout) || !strings.Contains(err.Error(), strconv.Itoa(pid)) {
		t.Fatalf("Stop error %v, want ErrStopTimeout naming %d", err, pid)
	}
	if s := p.Snapshot(); s.State != Stopping || s.Err == "" {
		t.Errorf("snapshot %+v", s)
	}
	// The child dies later after all: the Process is then Stopped and Done.
	unix.Kill(pid, syscall.SIGKILL)
	waitDone(t, p, 15*time.Second)
	if s := p.Snapshot(); s.State != Stopped {
		t.Errorf("after the child died: %+v", s)
	}
}

func TestStopContextKills(t *testing.T) {
	spec, out := helperSpec(t, "ignore-term")
	spec.Stop = Schedule{{syscall.SIGTERM, time.Minute}}
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	pid := p.Snapshot().PID
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop error %v, want DeadlineExceeded", err)
	}
	testexec.WaitFor(t, 15*time.Second, "SIGKILL after ctx expired", func() bool { return gone(pid) })
	waitDone(t, p, 15*time.Second)
}

func TestStopReachesDescendants(t *testing.T) {
	spec, out := helperSpec(t, "family")
	spec.Stop = Schedule{{syscall.SIGTERM, 300 * time.Millisecond}, {syscall.SIGKILL, 5 * time.Second}}
	p := New(spec, nil)
	start(t, p)
	var inGroup, away int
	if _, err := fmt.Sscan(out.next(t), &inGroup, &away); err != nil {
		t.Fatal(err)
	}
	main := p.Snapshot().PID
	if pgid, _ := syscall.Getpgid(inGroup); pgid != main {
		t.Fatalf("grandchild %d in group %d, want %d", inGroup, pgid, main)
	}
	if sid, _ := unix.Getsid(away); sid != away {
		t.Fatalf("grandchild %d in session %d, want its own", away, sid)
	}
	if _, err := p.Stop(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{main, inGroup, away} {
		if !gone(pid) {
			t.Errorf("pid %d survived Stop", pid)
		}
	}
}

func TestStopReachesOrphans(t *testing.T) {
	spec, out := helperSpec(t, "orphan")
	spec.Restart = Never
	p := New(spec, nil)
	start(t, p)
	orphan, err := strconv.Atoi(out.next(t))
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p, 15*time.Second)
	// The test binary is a subreaper, so the orphan becomes its child.
	testexec.WaitFor(t, 15*time.Second, "reparenting", func() bool {
		kids, _ := proc.Children(os.Getpid())
		return slices.Contains(kids, orphan)
	})
	if _, err := p.Stop(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !gone(orphan) {
		t.Errorf("orphan %d survived Stop", orphan)
	}
	if s := p.Snapshot(); s.State != Exited {
		t.Errorf("Stop changed a final state: %+v", s)
	}
}

func TestStopRacesCrash(t *testing.T) {
	for i := range 30 {
		var rec recorder
		p := New(Spec{Path: "/bin/false", Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond},
			StartLimit: StartLimit{Burst: -1}}, rec.record)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		// Stop at varied moments of the crash-restart cycle.
		testexec.WaitFor(t, 15*time.Second, "restarts", func() bool { return p.Snapshot().Restarts >= i%5 })
		if _, err := p.Stop(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		s := p.Snapshot()
		if s.State != Stopped || s.PID != 0 {
			t.Fatalf("iteration %d: after Stop %+v", i, s)
		}
		p.mu.Lock()
		timer := p.timer
		p.mu.Unlock()
		if timer != nil {
			t.Fatalf("iteration %d: restart timer pending after Stop", i)
		}
		// onChange may still be delivering on another goroutine.
		testexec.WaitFor(t, 5*time.Second, "the Stopped event", func() bool { return slices.Contains(rec.states(), Stopped) })
		states := rec.states()
		if at := slices.Index(states, Stopping); at < 0 || slices.Contains(states[at:], Starting) {
			t.Fatalf("iteration %d: states %v: started after Stop", i, states)
		}
	}
	if kids, _ := proc.Children(os.Getpid()); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

func TestConcurrentStops(t *testing.T) {
	spec, out := helperSpec(t, "sleep")
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	var wg sync.WaitGroup
	exits := make([]*Exit, 4)
	for i := range exits {
		wg.Go(func() {
			e, err := p.Stop(stopCtx(t))
			if err != nil {
				t.Error(err)
			}
			exits[i] = e
		})
	}
	wg.Wait()
	for _, e := range exits {
		if e == nil || *e != *exits[0] {
			t.Errorf("exits differ: %+v vs %+v", e, exits[0])
		}
	}
}
