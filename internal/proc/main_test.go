//go:build linux

package proc

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{
		"sleep":       helperSleep,
		"spawn-child": helperSpawnChild,
		"subreaper":   helperSubreaper,
	})
	os.Exit(m.Run())
}

// helperCommand returns a command that runs the named helper.
func helperCommand(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = testexec.Environ(name)
	cmd.Stderr = os.Stderr
	return cmd
}

// startHelper starts a helper whose first stdout line it returns, and kills
// and reaps it at the end of the test.
func startHelper(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
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
		t.Fatalf("helper %v: %v", cmd.Args, err)
	}
	return line
}

// readLine reads one line from r, failing after timeout.
func readLine(r io.Reader, timeout time.Duration) (string, error) {
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			errc <- err
			return
		}
		ch <- strings.TrimSpace(line)
	}()
	select {
	case l := <-ch:
		return l, nil
	case err := <-errc:
		return "", err
	case <-time.After(timeout):
		return "", fmt.Errorf("no line within %v", timeout)
	}
}

func helperSleep([]string) int {
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

// helperSpawnChild starts a sleeping child in its own process group and
// prints its pid.
func helperSpawnChild([]string) int {
	cmd := helperCommand(nopTB{}, "sleep")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := readLine(out, 10*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(cmd.Process.Pid)
	time.Sleep(time.Hour)
	return 0
}

// helperSubreaper becomes a subreaper, runs spawn-child and kills it, and
// reports whether the orphaned grandchild was reparented to it.
func helperSubreaper([]string) int {
	if err := SetChildSubreaper(); err != nil {
		fmt.Println(err)
		return 1
	}
	cmd := helperCommand(nopTB{}, "spawn-child")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return 1
	}
	line, err := readLine(out, 10*time.Second)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	grandchild, _ := strconv.Atoi(line)
	cmd.Process.Kill()
	cmd.Wait()
	defer syscall.Kill(grandchild, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s, err := readStat(grandchild); err == nil && s.PPID == os.Getpid() {
			fmt.Println("reparented")
			return 0
		}
	}
	fmt.Println("grandchild not reparented")
	return 1
}

// nopTB lets helpers reuse helperCommand outside a test.
type nopTB struct{ testing.TB }

func (nopTB) Helper() {}

func (nopTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }
