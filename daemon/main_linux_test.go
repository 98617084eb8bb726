package daemon_test

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

var helpers = map[string]testexec.Helper{
	"daemon-main":  daemonMain,
	"report-sigs":  reportSignals,
	"blocked-exec": blockedExec,
}

func TestMain(m *testing.M) {
	testexec.Dispatch(helpers)
	// Daemons started by the tests are orphaned by their launchers; as a
	// subreaper this process inherits them and can reap them.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	os.Exit(m.Run())
}
