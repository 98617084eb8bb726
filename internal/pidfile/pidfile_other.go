//go:build unix && !linux

package pidfile

import "os"

// hasOpen takes the pid written in the pidfile for its holder: without
// /proc, a process's open files cannot be seen.
func hasOpen(pid int, _ *os.File, written int) bool { return pid == written }
