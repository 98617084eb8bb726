package status

import "time"

// HookRun is the last run of a daemon's hook (--on-exit, --on-failure):
// which, what it ran, how it ended and what it wrote.
type HookRun struct {
	// Hook is "on-exit" or "on-failure".
	Hook    string `json:"hook"`
	Command string `json:"command"`
	// StartedAt is when it started; EndedAt is zero while it runs.
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Exit is how it ended (nil while it runs, or when it could not be
	// started: Err says why); TimedOut that it was killed at
	// --hook-timeout.
	Exit     *Exit  `json:"exit,omitzero"`
	TimedOut bool   `json:"timed_out,omitzero"`
	Err      string `json:"error,omitzero"`
	// Output is the end of its combined stdout and stderr (at most
	// MaxHookOutput bytes).
	Output string `json:"output,omitzero"`
	// Waited says that it waited for the hook before it to end (a
	// daemon runs one hook at a time); Skipped counts the hooks that
	// were not run since the supervisor started, because one was
	// already waiting.
	Waited  bool `json:"waited,omitzero"`
	Skipped int  `json:"skipped,omitzero"`
}

// MaxHookOutput bounds HookRun.Output.
const MaxHookOutput = 1024
