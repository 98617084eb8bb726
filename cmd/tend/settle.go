package main

import (
	"errors"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/startwatch"
	"github.com/tendhq/tend/internal/state"
)

// The start's watch (internal/startwatch): the host runs it before it
// answers a start; tend runs it itself for a daemon that a supervisor
// process of its own runs (--isolated, TEND_HOST=0).

// started is what a successful start reports.
type started = startwatch.Result

// startError is a start that failed after the command ran: it crashed
// during its start. stderr are its last lines of stderr.
type startError struct {
	msg    string
	stderr []string
	log    string
}

func (e *startError) Error() string { return e.msg }

// asStartError turns a crash at start, seen by this tend or answered by
// the host, into a *startError with its last lines of stderr.
func asStartError(err error) error {
	var ce *startwatch.CrashError
	var he *client.HostError
	switch {
	case errors.As(err, &ce):
		return &startError{msg: ce.Error(), stderr: lastStderr(ce.Log, 20, ce.StartedAt), log: ce.Log}
	case errors.As(err, &he) && he.Body.Code == api.CodeCrashed:
		return &startError{msg: he.Body.Message, stderr: lastStderr(he.Body.Log, 20, he.Body.StartedAt), log: he.Body.Log}
	}
	return err
}

// watchStart watches a daemon that client.Start has just started, when
// the host did not (see above); pid is the pid Start returned.
func watchStart(dir state.Dir, def *definition.Definition, pid int) (started, error) {
	s, err := startwatch.Watch(func() (*client.View, error) {
		// Inspect, not Peek: the answer must include a crash the
		// supervisor has seen but not yet written (TestCrashAtStart).
		return client.Inspect(dir)
	}, def, pid)
	return s, asStartError(err)
}
