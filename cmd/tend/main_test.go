package main

import (
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

	"github.com/tendhq/tend/internal/testexec"
)

// helperEnv names the helper program a re-executed test binary should be:
// the commands that the tests hand to tend.
const helperEnv = testexec.Env

var helpers = map[string]testexec.Helper{
	"sleep":       helperSleep,
	"ignore-term": helperIgnoreTerm,
	"grandchild":  helperGrandchild,
	"exit":        helperExit,
	"orphans":     helperOrphans,
	"spawn-short": helperSpawnShort,
	"print":       helperPrint,
	"tick":        helperTick,
	"ready":       helperReady, // ready_helpers_test.go
	"probe":       helperProbe, // security_test.go
	"http":        helperHTTP,  // reload_test.go
	"hog":         helperHog,   // limits_test.go
	"flood":       helperFlood, // hostile_test.go
}

// tendBin is the tend binary under test, built once by TestMain.
var tendBin string

// testBin is this test binary, run by tend as the helper commands.
var testBin string

func TestMain(m *testing.M) {
	testBin, _ = os.Executable()
	testexec.Dispatch(helpers)
	dir, err := os.MkdirTemp("", "tend-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tendBin = filepath.Join(dir, "tend")
	build := exec.Command("go", "build", "-o", tendBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build tend: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// note writes a line to the file named by TEST_NOTE, if set.
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
	note("running %d", os.Getpid())
	fmt.Println("hello from stdout")
	fmt.Fprintln(os.Stderr, "hello from stderr")
	select {}
}

func helperIgnoreTerm([]string) int {
	signal.Ignore(syscall.SIGTERM)
	note("ignoring %d", os.Getpid())
	select {}
}

// helperGrandchild starts a grandchild that leaves the process group with
// setsid, notes its pid, and waits.
func helperGrandchild([]string) int {
	cmd := exec.Command(testBin)
	cmd.Env = append(helperEnvFor("sleep"), "TEST_NOTE=/dev/null")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 1
	}
	note("grandchild %d", cmd.Process.Pid)
	select {}
}

func helperExit([]string) int {
	code, _ := strconv.Atoi(os.Getenv("TEST_EXIT"))
	note("exiting %d", os.Getpid())
	return code
}

// helperOrphans makes orphans: a child that starts short-lived grandchildren
// and exits at once, so that they are reparented to the subreaper (tend) and
// become its zombies unless it reaps them. Then it exits with TEST_EXIT
// once they are gone.
func helperOrphans([]string) int {
	cmd := exec.Command(testBin)
	cmd.Env = helperEnvFor("spawn-short")
	if err := cmd.Run(); err != nil {
		return 1
	}
	note("orphans made")
	time.Sleep(300 * time.Millisecond) // their lifetime; the test polls for the reaping
	return helperExit(nil)
}

func helperSpawnShort([]string) int {
	for i := 0; i < 5; i++ {
		cmd := exec.Command("/bin/sh", "-c", "exit 0")
		cmd.Start() // never waited for: its parent exits first
	}
	return 0
}

// helperTick writes "tick N" to stdout every 10 ms, from 1, forever: a
// line lost or repeated shows as a gap.
func helperTick([]string) int {
	note("running %d", os.Getpid())
	for i := 1; ; i++ {
		fmt.Printf("tick %d\n", i)
		time.Sleep(10 * time.Millisecond)
	}
}

// helperPrint writes TEST_LINES numbered lines to stdout and stderr, then waits.
func helperPrint([]string) int {
	n, _ := strconv.Atoi(os.Getenv("TEST_LINES"))
	for i := 1; i <= n; i++ {
		fmt.Printf("line %d\n", i)
		if i%10 == 0 {
			fmt.Fprintf(os.Stderr, "err %d\n", i)
		}
	}
	note("printed")
	select {}
}

// helperEnvFor is the environment of a helper child that must not write
// to the test's note file.
func helperEnvFor(name string) []string {
	var env []string
	for _, kv := range testexec.Environ(name) {
		if !strings.HasPrefix(kv, "TEST_NOTE=") {
			env = append(env, kv)
		}
	}
	return env
}
