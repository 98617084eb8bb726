//go:build !linux

package proc

// WithEnv finds nothing where /proc/PID/environ does not exist.
func WithEnv(key, value string) []Identity { return nil }

// HasEnv is false where /proc is not there to tell.
func HasEnv(pid int, key, value string) bool { return false }
