package daemon_test

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// helperEnv names the helper a re-executed test binary should act as. It
// travels in the environment, not argv, so it survives Detach's own
// re-executions.
const helperEnv = "TEND_TEST_HELPER"

var helpers = map[string]func() int{
	"daemon-main":  daemonMain,
	"report-sigs":  reportSignals,
	"blocked-exec": blockedExec,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			os.Stderr.WriteString("unknown helper " + name + "\n")
			os.Exit(2)
		}
		os.Exit(h())
	}
	// Daemons started by the tests are orphaned by their launchers; as a
	// subreaper this process inherits them and can reap them.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// Under -race every helper would otherwise sleep a second at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}
