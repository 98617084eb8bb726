//go:build linux

package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/testexec"
)

func stopCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestLifecycle starts and stops a daemon, and checks the facts of its
// process: its own process group, the supervisor as parent, its cgroup,
// its umask, working directory and invocation id, and that nothing is left.
func TestLifecycle(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "report")
		f.def.Umask = "027"
		s := f.start(noCgroup)
		rep := map[string]string{}
		for _, kv := range f.noted("report") {
			k, v, _ := strings.Cut(kv, "=")
			rep[k] = v
		}
		r := waitRecord(t, s, "running", func(r status.Record) bool { return r.State == status.Running && r.PID > 0 })
		main := r.Main()
		if rep["pid"] != strconv.Itoa(main.PID) || rep["pgid"] != rep["pid"] {
			t.Errorf("main pid %d; the process says %v", main.PID, rep)
		}
		if ppid, _ := proc.Parent(main.PID); ppid != os.Getpid() {
			t.Errorf("parent %d, want the supervisor %d", ppid, os.Getpid())
		}
		if rep["sid"] == rep["pid"] {
			t.Errorf("the daemon leads its own session: %v", rep)
		}
		if rep["umask"] != "027" || rep["cwd"] != "/" || rep["inv"] != r.InvocationID || r.InvocationID == "" {
			t.Errorf("umask, cwd or invocation id: %v; record %q", rep, r.InvocationID)
		}
		switch {
		case noCgroup && r.Cgroup != "":
			t.Errorf("cgroup %q without cgroups", r.Cgroup)
		case !noCgroup && (r.Cgroup == "" || !strings.Contains(rep["cgroup"], "/"+filepath.Base(r.Cgroup)+"/1")):
			t.Errorf("the daemon's cgroup is %q, the record's %q", rep["cgroup"], r.Cgroup)
		}
		if r.Processes() == nil || r.Processes()[0] != main {
			t.Errorf("the record finds %v, want %v", r.Processes(), main)
		}
		how, err := s.Stop(stopCtx(t))
		if err != nil || how != "killed by signal TERM" {
			t.Fatalf("Stop: %q, %v", how, err)
		}
		<-s.Done()
		gone(t, main)
		if r := s.Record(); r.State != status.Stopped || r.WantUp || r.PID != 0 {
			t.Errorf("after Stop: %+v", r)
		}
		if r.Cgroup != "" {
			if _, err := os.Stat(r.Cgroup); !os.IsNotExist(err) {
				t.Errorf("cgroup %s left behind: %v", r.Cgroup, err)
			}
		}
	})
}

// TestStopReachesEscapees: a child that left the process group and the
// session is still the daemon's, and stopped with it.
func TestStopReachesEscapees(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "escape")
		s := f.start(noCgroup)
		f.noted("escape")
		ids := f.notedPIDs("sleep", 1)
		if _, err := s.Stop(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		gone(t, ids...)
	})
}

// TestDaemonizingIsFollowed: the classic double-forking daemon exits 0
// twice; the daemon proper is adopted as main process, receives signals,
// and is stopped. The launchers' exits 0 are no last exit.
func TestDaemonizingIsFollowed(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "daemonize")
		s := f.start(noCgroup)
		d := f.notedPIDs("sleep", 1)[0]
		r := waitRecord(t, s, "the daemon adopted", func(r status.Record) bool { return r.Main() == d })
		if r.State != status.Running || r.Adopted == "" || r.LastExit != nil {
			t.Errorf("record %+v", r)
		}
		if pid, n, err := s.Signal(syscall.SIGSTOP, false); err != nil || pid != d.PID || n != 1 {
			t.Fatalf("Signal: %d %d %v", pid, n, err)
		}
		testexec.WaitFor(t, 5*time.Second, "the daemon stopped by SIGSTOP", func() bool { return procState(d.PID) == 'T' })
		// The stop signal comes with SIGCONT, so a stopped daemon acts on
		// it at once instead of waiting for the KILL step.
		start := time.Now()
		how, err := s.Stop(stopCtx(t))
		if err != nil || how != "killed by signal TERM" || time.Since(start) > time.Second {
			b, _ := os.ReadFile(f.dir.EventLog())
			t.Fatalf("Stop: %q, %v after %v; events:\n%s", how, err, time.Since(start), b)
		}
		gone(t, d)
	})
}

// procState returns the state letter of pid in /proc/PID/stat.
func procState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	return b[i+2]
}

// TestAmbiguousDaemonsAllSignalled: a command that leaves two unrelated
// processes has no main process; signals go to both, and both stop.
func TestAmbiguousDaemonsAllSignalled(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "two")
		s := f.start(noCgroup)
		ids := f.notedPIDs("sleep", 2)
		waitRecord(t, s, "the first process's exit", func(r status.Record) bool { return r.State == status.Running && r.PID == 0 })
		if r := s.Record(); r.State != status.Running {
			t.Fatalf("record %+v", r)
		}
		if pid, n, err := s.Signal(syscall.SIGSTOP, false); err != nil || pid != 0 || n != 2 {
			t.Fatalf("Signal: pid %d, %d processes, %v", pid, n, err)
		}
		if _, err := s.Stop(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		gone(t, ids...)
	})
}

// TestPIDFileAdoption: --pidfile names the daemon's main process, and is
// believed only when it names one of the daemon's processes.
func TestPIDFileAdoption(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "pidfile")
		pidfile := filepath.Join(t.TempDir(), "d.pid")
		// A stale pidfile naming someone else: this very test.
		os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		f.def.PIDFile = pidfile
		f.def.BaseEnv = append(f.def.BaseEnv, "PIDFILE="+pidfile)
		s := f.start(noCgroup)
		if err := s.WaitReady(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		d := f.notedPIDs("sleep", 1)[0]
		if r := s.Record(); r.Main() != d || r.Adopted != "pidfile "+pidfile || !r.Ready {
			t.Errorf("record %+v, want main %v from the pidfile", r, d)
		}
		if _, err := s.Stop(stopCtx(t)); err != nil {
			t.Fatal(err)
		}
		gone(t, d)
	})
}

// TestFailureEndsLeftovers: a main process that fails leaving a child has
// the child stopped before the daemon is restarted; with --restart never
// it ends exited, and nothing is left.
func TestFailureEndsLeftovers(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "crash-leave")
		f.def.Restart = "never"
		s := f.start(noCgroup)
		ids := f.notedPIDs("sleep", 1)
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the supervisor did not end")
		}
		gone(t, ids...)
		if r := s.Record(); r.State != status.Exited || r.LastExit == nil || r.LastExit.Code != 3 {
			t.Errorf("record %+v", r)
		}
	})
}

// TestStopEscalates: a daemon that ignores SIGTERM gets SIGKILL at the
// next step.
func TestStopEscalates(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "ignore-term")
		f.def.StopSchedule = "TERM/200ms/KILL/2s"
		s := f.start(noCgroup)
		id := f.notedPIDs("ignore-term", 1)[0]
		how, err := s.Stop(stopCtx(t))
		if err != nil || how != "killed by signal KILL" {
			t.Fatalf("Stop: %q, %v", how, err)
		}
		gone(t, id)
	})
}

// TestRestartEndsTheOldIncarnation: a restart stops every process of the
// running incarnation, escapees too, before it starts the next.
func TestRestartEndsTheOldIncarnation(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "escape")
		s := f.start(noCgroup)
		old := f.notedPIDs("sleep", 1)
		pid, err := s.Restart(stopCtx(t))
		if err != nil || pid == 0 {
			t.Fatalf("Restart: %d, %v", pid, err)
		}
		gone(t, old...)
		if r := s.Record(); r.Restarts != 1 || r.PID != pid || r.Incarnation != 2 {
			t.Errorf("record %+v", r)
		}
	})
}

// TestCrashRestarts: a daemon killed by a signal is restarted at once, and
// the record shows how it ended.
func TestCrashRestarts(t *testing.T) {
	trackers(t, func(t *testing.T, noCgroup bool) {
		f := newFixture(t, "sleep")
		s := f.start(noCgroup)
		r0 := waitRecord(t, s, "running", func(r status.Record) bool { return r.PID > 0 })
		first := r0.Main()
		first.Signal(syscall.SIGKILL)
		r := waitRecord(t, s, "a new incarnation", func(r status.Record) bool { return r.PID > 0 && r.PID != first.PID })
		if r.Restarts != 1 || r.LastExit == nil || r.LastExit.Signal != "KILL" {
			t.Errorf("record %+v", r)
		}
	})
}

// TestStartFailure: a command that cannot be executed fails the start,
// and leaves nothing.
func TestStartFailure(t *testing.T) {
	f := newFixture(t, "sleep")
	f.def.Command = []string{"/nonexistent/program"}
	_, err := Start(Config{Definition: f.def, Dir: f.dir})
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Start: %v", err)
	}
}

// TestRecordWrittenOnlyWhenChanged: questions that change nothing (the
// processes, asked for by every status and list) do not write the record
// again; a change does.
func TestRecordWrittenOnlyWhenChanged(t *testing.T) {
	f := newFixture(t, "sleep")
	s := f.start(true)
	waitRecord(t, s, "running", func(r status.Record) bool { return r.State == status.Running && r.PID > 0 })
	// A write makes a new file (renamed into place): its inode and change
	// time (an inode number may come back) tell one write from another.
	inode := func() [3]int64 {
		fi, err := os.Stat(f.dir.StatusFile())
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return [3]int64{int64(st.Ino), st.Ctim.Sec, st.Ctim.Nsec}
	}
	// The loop settles: what it learns in its first moments is written.
	before := inode()
	for range 50 {
		s.Processes()
		now := inode()
		if now == before {
			break
		}
		before = now
	}
	for range 20 {
		s.Processes()
	}
	if after := inode(); after != before {
		t.Errorf("status.json was written again by questions that change nothing (%v, then %v)", before, after)
	}
	if _, err := s.Stop(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if inode() == before {
		t.Errorf("status.json was not written when the daemon stopped")
	}
}
