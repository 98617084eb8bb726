package api

import (
	"errors"
	"fmt"
	"testing"
)

func TestMessage(t *testing.T) {
	notRunning := errors.New("not running")
	for _, tc := range []struct {
		err  error
		want string
	}{
		// A daemon named like a package keeps its name.
		{fmt.Errorf("signal %s: %w", "config", notRunning), "signal config: not running"},
		{fmt.Errorf("signal %s: %w", "web", notRunning), "signal web: not running"},
		// Package prefixes at each level go.
		{fmt.Errorf("start web: %w", fmt.Errorf("state: write %s: %w", "/h/web/status.json", errors.New("no space left on device"))),
			"start web: write /h/web/status.json: no space left on device"},
		{errors.New("proc: no such process"), "no such process"},
		{fmt.Errorf("stop %s: %w", "state", errors.New("cgroup: busy")), "stop state: busy"},
		// An error that does not end with what it wraps is taken whole.
		{fmt.Errorf("a: %w (b)", errors.New("state: c")), "a: state: c (b)"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
