package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{
		"pause":            helperPause,
		"ignore-term":      helperIgnoreTerm,
		"until-eof":        helperUntilEOF,
		"spawn-grandchild": helperSpawnGrandchild,
		"try-create":       helperTryCreate,
	})
	// Orphaned grandchildren come to the test process, which reaps them,
	// instead of to an init that may not.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup test: subreaper:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// helperPause prints its pid and waits to be signalled.
func helperPause([]string) int {
	fmt.Println(os.Getpid())
	for {
		time.Sleep(time.Hour)
	}
}

// helperIgnoreTerm is helperPause deaf to SIGTERM.
func helperIgnoreTerm(args []string) int {
	signal.Ignore(syscall.SIGTERM)
	return helperPause(args)
}

// helperUntilEOF prints its pid and exits 0 when its stdin closes.
func helperUntilEOF([]string) int {
	fmt.Println(os.Getpid())
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// helperSpawnGrandchild starts a pause helper in a new session, prints the
// grandchild's pid once it runs, and exits, leaving the grandchild orphaned.
func helperSpawnGrandchild([]string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command(exe)
	cmd.Env = testexec.Environ("pause")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Print(line)
	return 0
}

// helperTryCreate tries Parent, then Create in the group args[0], and
// prints whether each failed with ErrUnsupported.
func helperTryCreate(args []string) int {
	_, err := Parent()
	fmt.Println("parent:", errors.Is(err, errors.ErrUnsupported), err)
	_, err = Create(args[0], "x")
	fmt.Println("create:", errors.Is(err, errors.ErrUnsupported), err)
	return 0
}

// newGroup creates a group for the test under Parent, and kills and removes
// it when the test ends. Without cgroup v2 it skips the test, unless $CI is
// set: CI must exercise cgroups.
func newGroup(t *testing.T) *Group {
	t.Helper()
	parent, err := Parent()
	if errors.Is(err, errors.ErrUnsupported) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("tend-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid())
	g, err := Create(parent, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Kill(); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Error(err)
		}
		if err := g.Remove(); err != nil {
			t.Error(err)
		}
	})
	return g
}

// child is a helper process started by startIn.
type child struct {
	cmd   *exec.Cmd
	pid   int // the pid the helper printed (a grandchild's, for spawn-grandchild)
	stdin io.WriteCloser
}

// startIn starts helper name born in g, waits for the pid it prints, and
// kills and reaps it when the test ends.
func startIn(t *testing.T, g *Group, name string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := g.FD()
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	cmd := exec.Command(exe)
	cmd.Env = testexec.Environ(name)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(fd.Fd())}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := readLine(out, 10*time.Second)
	if err != nil {
		t.Fatalf("helper %s: %v", name, err)
	}
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("helper %s printed %q", name, line)
	}
	return &child{cmd: cmd, pid: pid, stdin: stdin}
}

// readLine reads one line from r, failing after timeout.
func readLine(r io.Reader, timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- result{strings.TrimSpace(line), err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-time.After(timeout):
		return "", fmt.Errorf("no line within %v", timeout)
	}
}

// reapOrphan kills and reaps, when the test ends, a process that was
// reparented to the test process.
func reapOrphan(t *testing.T, pid int) {
	t.Cleanup(func() {
		unix.Kill(pid, syscall.SIGKILL)
		unix.Wait4(pid, nil, 0, nil)
	})
}

// groupOf returns the directory of the cgroup v2 group of process pid.
func groupOf(t *testing.T, pid int) string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rel, err := parseCgroupFile(f)
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := cgroup2Mounts()
	if err != nil {
		t.Fatal(err)
	}
	dir, ok := locate(mounts, rel)
	if !ok {
		t.Fatalf("pid %d: group %s not under a cgroup2 mount", pid, rel)
	}
	return dir
}
