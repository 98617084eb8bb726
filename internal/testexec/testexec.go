// Package testexec lets a test binary re-run itself as a named helper
// process: the real processes that tests start, signal and inspect in /proc.
//
// The helper's name travels in the environment ($TEND_TEST_HELPER), not in
// argv, so it survives programs that re-execute themselves with their own
// arguments (daemon.Detach does).
package testexec

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Env is the environment variable that names the helper to run.
const Env = "TEND_TEST_HELPER"

// Helper is a program the test binary can be re-run as. It gets the
// process's arguments after the program name and returns its exit status.
type Helper func(args []string) int

// Dispatch is called first in TestMain. When this process was started as a
// helper, it runs that helper and exits with its status (2 for an unknown
// name). Otherwise it prepares the environment that helpers started later
// inherit (under -race, a helper would sleep a second at exit) and returns,
// so that TestMain goes on to run the tests.
func Dispatch(helpers map[string]Helper) {
	name := os.Getenv(Env)
	if name == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
		return
	}
	h, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "testexec: unknown helper %q\n", name)
		os.Exit(2)
	}
	os.Exit(h(os.Args[1:]))
}

// Environ returns this process's environment with the helper set to name
// (replacing an inherited setting), followed by extra.
func Environ(name string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, Env+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, Env+"="+name)
	return append(env, extra...)
}

// WaitFor polls cond every few milliseconds until it holds, and fails the
// test if timeout passes first. Tests wait with it instead of sleeping a
// fixed time.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}
