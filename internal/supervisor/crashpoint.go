package supervisor

import (
	"os"
	"syscall"
)

// CrashPointEnv names tend's one test-only fault injection. When the
// supervisor's environment holds TEND_TEST_CRASH_AT=POINT, the supervisor
// kills itself with SIGKILL on reaching POINT, so that a test can show what
// a supervisor killed at that very moment leaves behind and that tend
// recovers from it. Unset (always, outside tests) it does nothing. The
// points, in the order a daemon's life passes them:
//
//	start-setup     definition, log and where the processes will be are
//	                recorded; no child yet
//	start-forked    the child runs; its pid is not recorded yet
//	start-spawned   the child runs and is recorded; no control socket yet
//	start-listening the control socket is up; the launcher is not told yet
//	stop-requested  a stop was asked for; the child still runs
//	stop-stopped    the child is gone and recorded; the answer is not sent
//	scale-forked    tend scale started the new instances' children; their
//	                record is not written yet
//
// `tend start` and `tend run` drop the variable from the environment they
// record for the child, so a restart does not inherit it.
const CrashPointEnv = "TEND_TEST_CRASH_AT"

// crashAt is a named point for CrashPointEnv.
func crashAt(point string) {
	if os.Getenv(CrashPointEnv) == point {
		syscall.Kill(syscall.Getpid(), syscall.SIGKILL)
	}
}
