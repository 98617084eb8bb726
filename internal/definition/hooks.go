package definition

import (
	"strings"
	"time"
)

// DefaultHookTimeout bounds a hook's run when --hook-timeout is not given.
const DefaultHookTimeout = 30 * time.Second

// The hooks: what --on-exit and --on-failure are called in events, in the
// status record and in tend status.
const (
	HookOnExit    = "on-exit"
	HookOnFailure = "on-failure"
)

// HookTimeoutOrDefault is how long a hook may run before it is killed.
func (d *Definition) HookTimeoutOrDefault() time.Duration {
	if d.HookTimeout > 0 {
		return d.HookTimeout
	}
	return DefaultHookTimeout
}

// Hook returns the shell line of the hook named by HookOnExit or
// HookOnFailure ("" when it is not set).
func (d *Definition) Hook(name string) string {
	switch name {
	case HookOnExit:
		return d.OnExit
	case HookOnFailure:
		return d.OnFailure
	}
	return ""
}

func (d *Definition) validateHooks() error {
	for _, h := range []struct{ flag, v string }{{HookOnExit, d.OnExit}, {HookOnFailure, d.OnFailure}} {
		if strings.IndexByte(h.v, 0) >= 0 {
			return usagef("--%s holds a NUL byte, which no command line can carry", h.flag)
		}
	}
	if d.HookTimeout < 0 {
		return usagef("--hook-timeout %v: must not be negative", d.HookTimeout)
	}
	return nil
}
