//go:build linux

package supervisor

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/testexec"
)

// TestMain runs a helper when asked to; otherwise it runs the tests. The
// helpers are the daemons under test: they fork, setsid, daemonize and
// misbehave as real programs do.
func TestMain(m *testing.M) {
	ExecLimited()
	testexec.Dispatch(map[string]testexec.Helper{
		"sleep":       helperSleep,
		"ignore-term": helperIgnoreTerm,
		"exit":        helperExit,
		"escape":      helperEscape,
		"daemonize":   helperDaemonize,
		"detach":      helperDetach,
		"two":         helperTwo,
		"pidfile":     helperPIDFile,
		"crash-leave": helperCrashLeave,
		"report":      helperReport,
		"ready-fd":    helperReadyFD,
		"notify":      helperNotify,
		"extend":      helperExtend,
	})
	os.Exit(m.Run())
}

// note appends a line to the file named by TEST_NOTE, for the test to read.
func note(format string, args ...any) {
	if path := os.Getenv("TEST_NOTE"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			fmt.Fprintf(f, format+"\n", args...)
			f.Close()
		}
	}
}

func helperSleep([]string) int {
	note("sleep %d", os.Getpid())
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

func helperIgnoreTerm([]string) int {
	signal.Ignore(syscall.SIGTERM)
	note("ignore-term %d", os.Getpid())
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

func helperExit(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// helperEscape starts a child that calls setsid (it leaves the process
// group and session), then sleeps.
func helperEscape([]string) int {
	startSub("sleep", true)
	note("escape %d", os.Getpid())
	time.Sleep(time.Hour)
	return 0
}

// helperDaemonize is the classic daemon: it starts a child in a new
// session and exits 0; that child starts the daemon proper and exits 0
// too (the double fork, done by re-execution).
func helperDaemonize([]string) int {
	startSub("detach", true)
	return 0
}

func helperDetach([]string) int {
	startSub("sleep", false)
	fmt.Println("ready")
	return 0
}

// helperTwo leaves two daemons that do not descend from each other.
func helperTwo([]string) int {
	startSub("sleep", true)
	startSub("sleep", true)
	return 0
}

// helperPIDFile daemonizes and writes the daemon's pid to $PIDFILE, as
// nginx does.
func helperPIDFile([]string) int {
	pid := startSub("sleep", true)
	os.WriteFile(os.Getenv("PIDFILE"), []byte(strconv.Itoa(pid)+"\n"), 0o644)
	return 0
}

// helperCrashLeave starts a child and fails, leaving it behind.
func helperCrashLeave([]string) int {
	startSub("sleep", true)
	return 3
}

// helperReport notes what its process looks like: its group, session,
// cgroup, umask, working directory and TEND_INVOCATION_ID, then sleeps.
func helperReport([]string) int {
	wd, _ := os.Getwd()
	mask := syscall.Umask(0)
	cg, _ := os.ReadFile("/proc/self/cgroup")
	sid, _ := unix.Getsid(0)
	note("report pid=%d pgid=%d sid=%d umask=%03o cwd=%s inv=%s cgroup=%s", os.Getpid(), syscall.Getpgrp(), sid, mask, wd,
		os.Getenv("TEND_INVOCATION_ID"), strings.ReplaceAll(strings.TrimSpace(string(cg)), "\n", ";"))
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

// helperReadyFD notes its pid and instance, fails (exit 3) when FAIL is
// set, and says it is ready with a newline on fd 4 (fd 3 is a --listen
// socket).
func helperReadyFD([]string) int {
	note("ready-fd %d %s", os.Getpid(), os.Getenv("TEND_INSTANCE"))
	if os.Getenv("FAIL") != "" {
		return 3
	}
	os.NewFile(4, "ready").Write([]byte("\n"))
	time.Sleep(time.Hour)
	return 0
}

// startSub starts a helper as a child of the helper, waits for its "ready"
// line, and returns its pid. Helpers may use os/exec: they are not
// supervisors.
func startSub(name string, setsid bool) int {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = testexec.Environ(name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		panic(err)
	}
	return cmd.Process.Pid
}

// trackers runs f once with each way of tracking a daemon's processes.
func trackers(t *testing.T, f func(t *testing.T, noCgroup bool)) {
	for _, noCgroup := range []bool{false, true} {
		name := "cgroup"
		if noCgroup {
			name = "tree"
		}
		t.Run(name, func(t *testing.T) { f(t, noCgroup) })
	}
}

// fixture is one supervised helper in a state directory of its own.
type fixture struct {
	t    *testing.T
	dir  statedir.Dir
	note string
	def  *definition.Definition
}

func newFixture(t *testing.T, helper string, args ...string) *fixture {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Short paths: a socket's path has at most 107 bytes.
	root, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	store, err := statedir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.NewReplacer("/", "-", "=", "-").Replace(t.Name())
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	dir, err := store.Create(strings.Trim(name, "-."))
	if err != nil {
		t.Fatal(err)
	}
	// The lock that makes the name taken, as tend start holds it.
	pf, err := pidfile.Lock(dir.SupervisorPIDFile(), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pf.Remove() })
	f := &fixture{t: t, dir: dir, note: filepath.Join(root, "note")}
	f.def = &definition.Definition{
		Name:    dir.Name,
		Command: append([]string{exe}, args...),
		BaseEnv: testexec.Environ(helper, "TEST_NOTE="+f.note),
		// Quick to stop, quick to escalate: the helpers that ignore
		// SIGTERM take the second step.
		StopSchedule: "TERM/2s/KILL/2s",
	}
	return f
}

// start starts the supervisor and stops it at the end of the test.
func (f *fixture) start(noCgroup bool) *Supervisor {
	f.t.Helper()
	s, err := Start(Config{Definition: f.def, Dir: f.dir, NoCgroup: noCgroup})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		s.Stop(stopCtx(f.t))
		<-s.Done()
		if f.t.Failed() {
			b, _ := os.ReadFile(f.dir.EventLog())
			f.t.Logf("the supervisor's events:\n%s", b)
		}
	})
	return s
}

// noted waits for a line of the note file starting with prefix, and
// returns its fields after the prefix.
func (f *fixture) noted(prefix string) []string {
	f.t.Helper()
	var fields []string
	testexec.WaitFor(f.t, 10*time.Second, "a note "+prefix, func() bool {
		b, _ := os.ReadFile(f.note)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, prefix+" ") {
				fields = strings.Fields(strings.TrimPrefix(line, prefix+" "))
				return true
			}
		}
		return false
	})
	return fields
}

// notedPIDs returns the identities of every noted process of kind.
func (f *fixture) notedPIDs(kind string, n int) []proc.Identity {
	f.t.Helper()
	var ids []proc.Identity
	testexec.WaitFor(f.t, 10*time.Second, fmt.Sprintf("%d notes %s", n, kind), func() bool {
		ids = nil
		b, _ := os.ReadFile(f.note)
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, kind+" "); ok {
				pid, _ := strconv.Atoi(rest)
				id, err := proc.Lookup(pid)
				if err != nil {
					id = proc.Identity{PID: pid, StartTime: 1} // gone already: matches nothing
				}
				ids = append(ids, id)
			}
		}
		return len(ids) >= n
	})
	return ids
}

// waitRecord polls the supervisor's record until cond holds.
func waitRecord(t *testing.T, s *Supervisor, what string, cond func(r status.Record) bool) status.Record {
	t.Helper()
	var r status.Record
	testexec.WaitFor(t, 10*time.Second, what, func() bool {
		r = s.Record()
		return cond(r)
	})
	return r
}

// gone fails the test unless every process is gone (a zombie counts as
// gone: its parent reaps it).
func gone(t *testing.T, ids ...proc.Identity) {
	t.Helper()
	for _, id := range ids {
		testexec.WaitFor(t, 5*time.Second, fmt.Sprintf("%v to be gone", id), func() bool { return !id.Alive() })
	}
}
