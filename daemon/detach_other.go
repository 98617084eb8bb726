//go:build !unix

package daemon

import "errors"

// Detach returns ErrUnsupported on this system, unless cfg asks for the
// foreground, in which case it returns a handle that does nothing.
func Detach(cfg Config) (*Daemon, error) {
	if cfg.Foreground {
		return &Daemon{foreground: true}, nil
	}
	return nil, ErrUnsupported
}

func sdNotify(addr, state string) (bool, error) { return false, errors.ErrUnsupported }

func redirectStderrToStdout() error { return nil }

// Launch is not supported on this system.
func Launch(cfg Config) (int, error) { return 0, ErrUnsupported }
