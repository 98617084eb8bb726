//go:build linux

package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"

	"github.com/tendhq/tend/internal/testexec"
)

// recorder collects the snapshots passed to onChange.
type recorder struct {
	mu    sync.Mutex
	snaps []Snapshot
}

func (r *recorder) record(s Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snaps = append(r.snaps, s)
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, s := range r.snaps {
		if len(out) == 0 || out[len(out)-1] != s.State {
			out = append(out, s.State)
		}
	}
	return out
}

func TestLifecycle(t *testing.T) {
	spec, out := helperSpec(t, "sleep")
	var rec recorder
	p := New(spec, rec.record)
	if s := p.Snapshot(); s.State != Stopped || s.PID != 0 {
		t.Fatalf("before Start: %+v", s)
	}
	start(t, p)
	out.next(t)
	s := p.Snapshot()
	if s.State != Running || s.PID == 0 || s.StartTime == 0 || s.StartedAt.IsZero() {
		t.Fatalf("after Start: %+v", s)
	}
	id := proc.Identity{PID: s.PID, StartTime: s.StartTime}
	if !id.Alive() {
		t.Fatalf("%v not alive", id)
	}
	if pgid, _ := syscall.Getpgid(s.PID); pgid != s.PID {
		t.Errorf("child pgid = %d, want its own group %d", pgid, s.PID)
	}
	if err := p.Start(); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}

	exit, err := p.Stop(stopCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if exit == nil || exit.Code != 128+int(syscall.SIGTERM) || exit.Signal != "TERM" ||
		exit.Description != "killed by signal TERM" {
		t.Errorf("Stop returned %+v", exit)
	}
	if id.Alive() {
		t.Error("child alive after Stop")
	}
	waitDone(t, p, time.Second)
	if s := p.Snapshot(); s.State != Stopped || s.PID != 0 || s.LastExit == nil {
		t.Errorf("after Stop: %+v", s)
	}
	want := []State{Starting, Running, Stopping, Stopped}
	testexec.WaitFor(t, 5*time.Second, "the Stopped event", func() bool { return slices.Contains(rec.states(), Stopped) })
	if got := rec.states(); !slices.Equal(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
	if again, err := p.Stop(stopCtx(t)); err != nil || again == nil || *again != *exit {
		t.Errorf("second Stop = %+v, %v", again, err)
	}
	if err := p.Signal(syscall.SIGHUP, false); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal after Stop: %v, want ErrNotRunning", err)
	}
	if err := p.Start(); !errors.Is(err, ErrStarted) {
		t.Errorf("Start after Stop: %v, want ErrStarted", err)
	}
}

func TestStopBeforeStart(t *testing.T) {
	spec, _ := helperSpec(t, "sleep")
	p := New(spec, nil)
	if exit, err := p.Stop(stopCtx(t)); exit != nil || err != nil {
		t.Fatalf("Stop = %v, %v", exit, err)
	}
	waitDone(t, p, time.Second)
	if err := p.Start(); !errors.Is(err, ErrStarted) {
		t.Errorf("Start after Stop: %v", err)
	}
}

func TestExitReporting(t *testing.T) {
	tests := []struct {
		helper string
		args   []string
		code   int
		signal string
		desc   string
	}{
		{"exit", []string{"0"}, 0, "", "exited with status 0"},
		{"exit", []string{"3"}, 3, "", "exited with status 3"},
		{"abort", nil, 134, "ABRT", "killed by signal ABRT"},
		{"segv", nil, 139, "SEGV", "killed by signal SEGV"},
	}
	for _, tt := range tests {
		t.Run(tt.helper+strings.Join(tt.args, ""), func(t *testing.T) {
			spec, _ := helperSpec(t, tt.helper, tt.args...)
			spec.Restart = Never
			p := New(spec, nil)
			start(t, p)
			waitDone(t, p, 15*time.Second)
			s := p.Snapshot()
			if s.State != Exited || s.LastExit == nil || s.Restarts != 0 {
				t.Fatalf("snapshot %+v", s)
			}
			e := s.LastExit
			if e.Code != tt.code || e.Signal != tt.signal || e.Description != tt.desc || e.At.IsZero() {
				t.Errorf("exit = %+v, want code %d signal %q %q", e, tt.code, tt.signal, tt.desc)
			}
		})
	}
}

func TestCleanExitIsNotRestarted(t *testing.T) {
	spec, _ := helperSpec(t, "exit", "0")
	p := New(spec, nil) // OnFailure
	start(t, p)
	waitDone(t, p, 15*time.Second)
	if s := p.Snapshot(); s.State != Exited || s.Restarts != 0 {
		t.Errorf("snapshot %+v", s)
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := proc.Children(os.Getpid())
	tests := []struct {
		name string
		spec Spec
		code int
	}{
		{"missing", Spec{Path: filepath.Join(dir, "missing")}, 127},
		{"not in PATH", Spec{Path: "tend-no-such-program"}, 127},
		{"not executable", Spec{Path: notExec}, 126},
		{"directory", Spec{Path: dir}, 126},
		{"bad dir", Spec{Path: "/bin/true", Dir: filepath.Join(dir, "nope")}, 127},
		{"dir is a file", Spec{Path: "/bin/true", Dir: notExec}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			p := New(tt.spec, rec.record)
			err := p.Start()
			if err == nil {
				p.Stop(stopCtx(t))
				t.Fatal("Start succeeded")
			}
			s := p.Snapshot()
			if s.State != Failed || s.PID != 0 || s.LastExit == nil || s.LastExit.Code != tt.code || s.Err != err.Error() {
				t.Errorf("Start error %v; snapshot %+v, exit %+v; want code %d", err, s, s.LastExit, tt.code)
			}
			waitDone(t, p, time.Second)
			if got := rec.states(); !slices.Equal(got, []State{Starting, Failed}) {
				t.Errorf("states = %v", got)
			}
		})
	}
	if after, _ := proc.Children(os.Getpid()); len(after) > len(before) {
		t.Errorf("children before %v, after %v", before, after)
	}
}

func TestSpecIsApplied(t *testing.T) {
	spec, out := helperSpec(t, "report", "a", "b c")
	spec.Restart = Never
	spec.Env = append(spec.Env, "FOO=bar")
	mask := fs.FileMode(0o027)
	spec.Umask = &mask
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	spec.ExtraFiles = []*os.File{w}
	old := unix.Umask(0o022)
	unix.Umask(old)
	p := New(spec, nil)
	start(t, p)
	w.Close()
	line := out.next(t)
	want := fmt.Sprintf("args=a,b c cwd=%s foo=bar umask=027 pgid=", spec.Dir)
	if !strings.HasPrefix(line, want) {
		t.Errorf("child reported %q, want prefix %q", line, want)
	}
	extra := newLineReader(r).next(t)
	if extra != "extra" {
		t.Errorf("fd 3 carried %q", extra)
	}
	if now := unix.Umask(old); now != old {
		t.Errorf("supervisor umask %03o after start, want %03o restored", now, old)
	}
}

func TestSignal(t *testing.T) {
	spec, out := helperSpec(t, "signals")
	p := New(spec, nil)
	start(t, p)
	out.next(t)
	if err := p.Signal(syscall.SIGHUP, false); err != nil {
		t.Fatal(err)
	}
	if got := out.next(t); got != "HUP" {
		t.Errorf("child got %q, want HUP", got)
	}
	if err := p.Signal(syscall.SIGUSR1, true); err != nil {
		t.Fatal(err)
	}
	if got := out.next(t); got != "USR1" {
		t.Errorf("child got %q, want USR1", got)
	}
}

func TestRestartAfterKill(t *testing.T) {
	spec, out := helperSpec(t, "sleep")
	spec.Backoff = Backoff{Initial: 10 * time.Millisecond}
	var rec recorder
	p := New(spec, rec.record)
	start(t, p)
	out.next(t)
	first := p.Snapshot()
	if err := unix.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out.next(t) // the new incarnation is ready
	s := p.Snapshot()
	if s.State != Running || s.Restarts != 1 || s.PID == 0 || s.PID == first.PID {
		t.Fatalf("after kill: %+v (first pid %d)", s, first.PID)
	}
	if e := s.LastExit; e == nil || e.Code != 137 || e.Signal != "KILL" {
		t.Errorf("last exit %+v", e)
	}
	want := []State{Starting, Running, BackingOff, Starting, Running}
	testexec.WaitFor(t, 5*time.Second, "the second Running event", func() bool { return len(rec.states()) >= len(want) })
	if got := rec.states(); !slices.Equal(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
}

func TestCrashLoopFails(t *testing.T) {
	spec, _ := helperSpec(t, "exit", "1")
	spec.Backoff = Backoff{Initial: 10 * time.Millisecond}
	spec.StartLimit = StartLimit{Burst: 3, Interval: time.Minute}
	p := New(spec, nil)
	begin := time.Now()
	start(t, p)
	waitDone(t, p, 15*time.Second)
	s := p.Snapshot()
	if s.State != Failed || s.Restarts != 2 || !strings.Contains(s.Err, "start limit") {
		t.Fatalf("snapshot %+v", s)
	}
	if s.LastExit == nil || s.LastExit.Code != 1 {
		t.Errorf("last exit %+v", s.LastExit)
	}
	if d := time.Since(begin); d < 10*time.Millisecond {
		t.Errorf("three starts took %v, less than the backoff of 0+10ms", d)
	}
}

func TestRestartExecFailure(t *testing.T) {
	// The program vanishes after the first start: restarts fail with 127
	// until the start limit gives up.
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	script := "#!/bin/sh\nrm -f \"$0\"\nexit 1\n"
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := New(Spec{Path: prog, Backoff: Backoff{Initial: time.Millisecond},
		StartLimit: StartLimit{Burst: 4, Interval: time.Minute}}, nil)
	start(t, p)
	waitDone(t, p, 15*time.Second)
	s := p.Snapshot()
	if s.State != Failed || s.Restarts != 3 || s.LastExit == nil || s.LastExit.Code != 127 {
		t.Errorf("snapshot %+v, exit %+v", s, s.LastExit)
	}
}

// TestNoLeaks restarts a child 200 times and checks that neither file
// descriptors nor goroutines accumulate.
func TestNoLeaks(t *testing.T) {
	warm := New(Spec{Path: "/bin/true", Restart: Never}, nil)
	start(t, warm)
	waitDone(t, warm, 15*time.Second)
	fds, goroutines := countFDs(t), runtime.NumGoroutine()

	p := New(Spec{Path: "/bin/true", Restart: Always, Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond},
		StartLimit: StartLimit{Burst: -1}}, func(Snapshot) {})
	start(t, p)
	testexec.WaitFor(t, 30*time.Second, "200 restarts", func() bool { return p.Snapshot().Restarts >= 200 })
	if _, err := p.Stop(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("fds grew from %d to %d", fds, got)
	}
	testexec.WaitFor(t, 5*time.Second, fmt.Sprintf("goroutines back to %d", goroutines), func() bool {
		return runtime.NumGoroutine() <= goroutines
	})
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
