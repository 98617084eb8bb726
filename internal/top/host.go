// Package top is tend top: a full-screen live view of every daemon of a
// host, built on the host's API alone (its event stream, its logs, its
// operations), so that the same view runs on the local socket or against
// a remote host.
//
// The view is a Bubble Tea program: one Model holds all of the view's
// state, and only its Update changes it, one message at a time. What
// takes time (an operation, a log's next lines, a sample of CPU and
// memory, the next events) runs as a command in a goroutine of its own,
// and comes back as a message: a restart never freezes the screen.
//
// What the view needs of a host is the Host interface; cmd/tend provides
// one for the local socket and one for a remote host.
package top

import (
	"context"
	"io"

	"github.com/tendhq/tend/internal/api"
)

// Host is what the view needs of a host. Its methods are called from the
// view's commands, each in a goroutine of its own; Usage is never called
// again before its previous call has returned.
type Host interface {
	// Events follows the daemons (of the project, when not empty): a
	// snapshot of each (api.EventSnapshot), api.EventSynced, then every
	// change, until ctx is done or the stream ends (the channel is then
	// closed).
	Events(ctx context.Context, project string) (<-chan Event, error)
	// Logs returns the last lines of name's output log, one record a
	// line ("TIMESTAMP STREAM TEXT", as tend logs prints it), then every
	// line written after them, until ctx is done.
	Logs(ctx context.Context, name string, lines int) (io.ReadCloser, error)
	// Usage measures the CPU and memory of the daemons that run, by
	// name: CPU as the percent of one CPU used since the previous call
	// (unknown at the first), memory as it is now.
	Usage(ctx context.Context) (map[string]Usage, error)
	// Do carries out op on the daemon called name, and returns once it
	// is done, with what became of it ("pid 4121", "exited with status
	// 0") or why it failed.
	Do(ctx context.Context, name string, op Op) (string, error)
}

// Event is one daemon's change as the view takes it: the host's event,
// and what the view needs to know of the daemon beyond its view.
type Event struct {
	api.Event
	// Project is the project the daemon was brought up from by tend up
	// ("" for none).
	Project string
	// Critical says the daemon is critical (--critical): a key that
	// stops it asks first.
	Critical bool
}

// Usage is what a daemon's processes use.
type Usage struct {
	// CPU is the percent of one CPU used over the last sample's
	// interval; CPUKnown says whether there was one.
	CPU      float64
	CPUKnown bool
	// Memory is in bytes: the processes' resident sets, or their
	// cgroup's memory.
	Memory int64
	// Procs is how many processes it has, 0 when unknown.
	Procs int
}

// OpKind is an operation on a daemon.
type OpKind string

// The operations of the view's keys.
const (
	OpRestart OpKind = "restart"
	OpStop    OpKind = "stop"
	OpStart   OpKind = "start"
	OpReload  OpKind = "reload"
	OpScale   OpKind = "scale"
	OpSignal  OpKind = "signal"
)

// Op is an operation and its argument.
type Op struct {
	Kind OpKind
	// Instances is the number of instances to scale to (OpScale).
	Instances int
	// Signal names the signal to send (OpSignal): HUP, TERM, 9...
	Signal string
}
