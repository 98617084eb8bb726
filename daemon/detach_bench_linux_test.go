package daemon_test

import (
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

// BenchmarkDetach measures a launch from the launcher's start to its exit
// with the daemon's "ready", with and without the second fork: the cost
// Config.SkipSecondFork saves.
func BenchmarkDetach(b *testing.B) {
	for _, mode := range []struct {
		name string
		env  []string
	}{
		{"two-stage", nil},
		{"skip-second-fork", []string{"TEST_SKIP_SECOND_FORK=1"}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command("/proc/self/exe")
				cmd.Args = []string{"testd"}
				cmd.Env = testexec.Environ("daemon-main", append([]string{"TEST_MODE=ready-exit"}, mode.env...)...)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("launcher: %v: %s", err, out)
				}
				// The daemon exits right after Ready; as its subreaper we
				// reap it, outside the timed part would be nicer but it is
				// short and the same in both modes.
				var ws unix.WaitStatus
				unix.Wait4(-1, &ws, 0, nil)
			}
		})
	}
}
