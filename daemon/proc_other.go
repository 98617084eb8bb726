//go:build unix && !linux

package daemon

import (
	"os"

	"golang.org/x/sys/unix"
)

const canReapOrphans = false

func becomeSubreaper() {}

func executable() (string, error) { return os.Executable() }

func redirectStderrToStdout() error { return unix.Dup2(1, 2) }

// execClean has no portable way to reset the signal state before exec; the
// daemon stage continues in place.
func execClean(path string, argv, env []string, marker string) error { return nil }

func finalMarker() (string, bool) { return "", false }
