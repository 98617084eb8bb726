//go:build linux

package keeper

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/testexec"
)

func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{
		"keeper": helperKeeper,
		"host":   helperHost,
	})
	os.Exit(m.Run())
}

// helperKeeper runs a keeper whose host is the "host" helper.
func helperKeeper([]string) int {
	self, _ := os.Executable()
	err := Run(context.Background(), Config{
		HostPath: self, HostArgs: []string{"host"}, HostEnv: testexec.Environ("host", "REPORT="+os.Getenv("REPORT")),
		HostLog: os.Getenv("HOSTLOG"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperHost is a host that writes what it sees to $REPORT. The first
// one spawns a child writing to a pipe whose read end it stores, then
// dies; the second finds the child and the pipe in its hello, reads the
// child's line, ends it, and shuts the keeper down.
func helperHost([]string) int {
	report, _ := os.OpenFile(os.Getenv("REPORT"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	say := func(format string, args ...any) { fmt.Fprintf(report, format+"\n", args...) }
	cl, hello, err := Connect(os.NewFile(HostFD, "keeper"))
	if err != nil {
		say("connect: %v", err)
		return 1
	}
	if len(hello.Children) == 0 {
		r, w, _ := os.Pipe()
		pid, _, err := cl.Spawn(&Spec{Tag: "d/1", Path: "/bin/sh", Argv: []string{"sh", "-c", "read x; echo line; exec sleep 1000"},
			Files: []int{0, 1, 1}, Cgroup: -1, Setpgid: true, Umask: 0o077}, []*os.File{r, w})
		if err != nil {
			say("spawn: %v", err)
			return 1
		}
		cl.Store("d/out", r)
		ppid, _ := proc.Parent(pid)
		say("first host spawned %d parent %d keeper %d", pid, ppid, cl.KeeperPID())
		cl.Serving()
		// Nothing reads the pipe now: the child's line waits in it.
		w.WriteString("go\n")
		os.Exit(3)
	}
	c := hello.Children[0]
	out := hello.Stored["d/out"]
	say("second host found %d tag %s stored %d", c.PID, c.Tag, len(out))
	line, _ := bufio.NewReader(out[0]).ReadString('\n')
	say("read %q", strings.TrimSpace(line))
	cl.Serving()
	syscall.Kill(c.PID, syscall.SIGTERM)
	for batch := range cl.Exits() {
		for _, e := range batch {
			if e.PID == c.PID {
				say("exit %d tag %s signal %v", e.PID, e.Tag, e.Status.Signal())
				cl.Ack(e.PID)
				cl.Shutdown()
				return 0
			}
		}
	}
	return 1
}

// TestHostDiesNothingLost: the keeper starts the host again when it
// dies; the new host finds the child the first one had forked (still the
// keeper's child), reads what it wrote into a pipe while no host ran,
// and learns of its exit with its tag.
func TestHostDiesNothingLost(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report")
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = testexec.Environ("keeper", "REPORT="+report, "HOSTLOG="+filepath.Join(dir, "host.log"))
	cmd.Path, _ = os.Executable()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b, _ := os.ReadFile(filepath.Join(dir, "host.log"))
			t.Fatalf("keeper: %v; host log:\n%s", err, b)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the keeper did not exit")
	}
	b, _ := os.ReadFile(report)
	got := string(b)
	var pid, ppid, kpid int
	fmt.Sscanf(got, "first host spawned %d parent %d keeper %d", &pid, &ppid, &kpid)
	if id, err := proc.Lookup(pid); err == nil && pid > 0 {
		defer id.Signal(syscall.SIGKILL) // should the test fail before the second host ends it
	}
	for _, want := range []string{
		fmt.Sprintf("first host spawned %d parent %d keeper %d", pid, cmd.Process.Pid, cmd.Process.Pid),
		fmt.Sprintf("second host found %d tag d/1 stored 1", pid),
		`read "line"`,
		fmt.Sprintf("exit %d tag d/1 signal terminated", pid),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}
