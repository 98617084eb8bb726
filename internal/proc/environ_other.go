//go:build !linux

package proc

// WithEnv finds nothing where /proc/PID/environ does not exist.
func WithEnv(key, value string) []Identity { return nil }
