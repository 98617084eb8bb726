//go:build linux

package supervise

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"

	"github.com/tendhq/tend/internal/testexec"
)

// TestMain runs a helper when asked to; otherwise it makes the test binary
// a child subreaper, as tend's supervisor is, and runs the tests.
func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{
		"exit":        helperExit,
		"sleep":       helperSleep,
		"ignore-term": helperIgnoreTerm,
		"abort":       helperAbort,
		"segv":        helperSegv,
		"family":      helperFamily,
		"orphan":      helperOrphan,
		"signals":     helperSignals,
		"report":      helperReport,
	})
	if err := proc.SetChildSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func helperExit(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

func helperSleep([]string) int {
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

func helperIgnoreTerm([]string) int {
	signal.Ignore(syscall.SIGTERM)
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

// helperAbort dies of SIGABRT: GOTRACEBACK=crash makes a panic raise it.
func helperAbort([]string) int {
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	debug.SetTraceback("crash")
	panic("abort helper")
}

// helperSegv dies of SIGSEGV: it restores the default action, which the Go
// runtime replaced with its own handler, and sends the signal to itself.
func helperSegv([]string) int {
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	var dfl [4]uint64 // struct sigaction with handler SIG_DFL
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSEGV),
		uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
		return 3
	}
	unix.Kill(os.Getpid(), unix.SIGSEGV)
	time.Sleep(time.Hour)
	return 4
}

// helperFamily starts a grandchild in its own group and one that calls
// setsid and ignores SIGTERM, prints both pids, and sleeps.
func helperFamily([]string) int {
	inGroup := startSub("sleep", false)
	away := startSub("ignore-term", true)
	fmt.Println(inGroup, away)
	time.Sleep(time.Hour)
	return 0
}

// helperOrphan starts a grandchild that calls setsid, prints its pid and
// exits, leaving it to be reparented.
func helperOrphan([]string) int {
	fmt.Println(startSub("sleep", true))
	return 0
}

// helperSignals prints the name of every HUP or USR1 it receives.
func helperSignals([]string) int {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGHUP, syscall.SIGUSR1)
	fmt.Println("ready")
	for s := range c {
		fmt.Println(proc.SignalName(s.(syscall.Signal)))
	}
	return 0
}

// helperReport prints what the Spec set up, and writes to fd 3 if open.
func helperReport(args []string) int {
	wd, _ := os.Getwd()
	mask := unix.Umask(0)
	fmt.Printf("args=%s cwd=%s foo=%s umask=%03o pgid=%d\n", strings.Join(args, ","), wd,
		os.Getenv("FOO"), mask, syscall.Getpgrp())
	if f := os.NewFile(3, "extra"); f != nil {
		fmt.Fprintln(f, "extra")
	}
	return 0
}

// startSub starts a helper as a child of the helper, waits for its "ready",
// and returns its pid. Helpers may use os/exec: they are not supervisors.
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

// helperSpec returns a Spec that runs the named helper with output to a
// pipe, whose reader it returns.
func helperSpec(t *testing.T, name string, args ...string) (Spec, *lineReader) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return Spec{
		Path:   exe,
		Args:   append([]string{exe}, args...),
		Env:    testexec.Environ(name),
		Dir:    t.TempDir(),
		Stdout: w,
		Stop:   Schedule{{syscall.SIGTERM, 5 * time.Second}, {syscall.SIGKILL, 5 * time.Second}},
	}, newLineReader(r)
}

// lineReader delivers the lines of a pipe on a channel.
type lineReader struct{ lines chan string }

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 100)}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			lr.lines <- s.Text()
		}
		close(lr.lines)
	}()
	return lr
}

// next returns the next line, failing the test after a deadline.
func (lr *lineReader) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-lr.lines:
		if !ok {
			t.Fatal("output closed")
		}
		return l
	case <-time.After(15 * time.Second):
		t.Fatal("no output line within 15s")
	}
	return ""
}

// start starts p and stops it when the test ends.
func start(t *testing.T, p *Process) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		p.Stop(ctx)
	})
}

// waitDone waits for p.Done, failing the test after timeout.
func waitDone(t *testing.T, p *Process, timeout time.Duration) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(timeout):
		t.Fatalf("not done after %v: %+v", timeout, p.Snapshot())
	}
}

func stopCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// gone reports whether pid no longer names a live process.
func gone(pid int) bool {
	id, err := proc.Lookup(pid)
	return err != nil || !id.Alive()
}
