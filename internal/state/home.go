package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SystemHome is the state directory used when running as root and
// TEND_HOME is not set.
const SystemHome = "/var/lib/tend"

// Home returns the state directory to use, in order of preference:
//
//  1. $TEND_HOME, when set and non-empty (made absolute if relative);
//  2. [SystemHome] when the effective uid is 0;
//  3. $XDG_STATE_HOME/tend, when XDG_STATE_HOME is an absolute path
//     (the XDG spec says relative values are to be ignored);
//  4. $HOME/.local/state/tend, when HOME is an absolute path.
//
// It returns an error naming the variables to set when none applies.
// Home does not create the directory; [Open] does.
func Home() (string, error) {
	return home(os.Getenv, os.Geteuid())
}

// home is Home with its inputs injected, for tests.
func home(getenv func(string) string, euid int) (string, error) {
	if h := getenv("TEND_HOME"); h != "" {
		abs, err := filepath.Abs(h)
		if err != nil {
			return "", fmt.Errorf("state: TEND_HOME=%q: %w", h, err)
		}
		return abs, nil
	}
	if euid == 0 {
		return SystemHome, nil
	}
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "tend"), nil
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "tend"), nil
	}
	return "", errors.New("state: cannot find a state directory: TEND_HOME is unset and " +
		"neither XDG_STATE_HOME nor HOME is an absolute path; set TEND_HOME")
}
