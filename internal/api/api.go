// Package api is the language of the host's socket ($TEND_HOME/tend.sock):
// HTTP with JSON bodies, what the CLI sends and the host answers. It holds
// the types both sides share; the host serves them (internal/host), the
// CLI's client calls them (internal/client).
//
// Routes:
//
//	GET    /v1/host[?stats=1]              HostInfo
//	POST   /v1/stop                        StopRequest; []StopOutcome, once every one is stopped (all at once)
//	POST   /v1/host/upgrade                UpgradeRequest: the host re-executes, its daemons run on
//	GET    /v1/daemons                     []View, every daemon
//	POST   /v1/daemons                     start a definition.Definition; 201 and Started once ready (settled, by default)
//	GET    /v1/daemons/{name}              View
//	GET    /v1/daemons/{name}/logs         its output log, as text (?lines=N|all&follow=1&stream=S&since=D)
//	DELETE /v1/daemons/{name}              forget a daemon that does not run (tend rm)
//	POST   /v1/daemons/{name}/stop         StopResult, once nothing of it runs
//	POST   /v1/daemons/{name}/restart      RestartResult, once the new incarnation is ready
//	POST   /v1/daemons/{name}/reload       RestartResult, once the new incarnation serves
//	POST   /v1/daemons/{name}/replace      ReplaceRequest; RestartResult, once the new version runs (or why not: the old one does)
//	POST   /v1/daemons/{name}/scale        ScaleRequest; once the instances are there
//	POST   /v1/daemons/{name}/signal       SignalRequest; SignalResult
//	POST   /v1/daemons/{name}/log/rotate   rotate its output log now
//	POST   /v1/daemons/{name}/log/reopen   reopen it (after an external rotation)
//	GET    /v1/events[?project=P][&name=N] a snapshot of every daemon, then every change, as NDJSON
//	GET    /metrics                        Prometheus metrics, read when scraped
//	GET    /v1/remote                      RemoteInfo: the API on TCP too (see remote.go)
//	PUT    /v1/remote                      RemoteRequest; RemoteInfo (on the socket only)
//	DELETE /v1/remote                      serve on the socket only
//
// docs/api.json describes every route (OpenAPI), and a test holds it and
// the host's routes together.
//
// A failure is an Error with the HTTP status that fits: 400 bad input, 404
// no such daemon, 409 a state that forbids it (already running, not
// running), 413 a body too large, 422 a daemon that did not start or
// become ready, 500 others, 503 too many connections.
package api

import (
	"encoding/json"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// Condition is what status reports: a status.State, or one of the
// conditions below that only an observer from outside can see.
type Condition string

const (
	// Lost: no host supervises it, but processes of the daemon still run.
	Lost Condition = "lost"
	// Dead: no host supervises it, it was not stopped, and nothing of it
	// runs.
	Dead Condition = "dead"
)

// View is a daemon as the host sees it: its record, checked against the
// processes that actually exist when no supervisor runs it.
type View struct {
	status.Record
	Condition Condition `json:"condition"`
	// SupervisorAlive says that a supervisor runs it (in the host, or
	// a process of its own).
	SupervisorAlive bool `json:"supervisor_alive"`
	// MainAlive says that the record's main process is that very process
	// (pid and start time), alive.
	MainAlive bool `json:"main_alive,omitzero"`
	// Leftovers are the daemon's processes that run without a
	// supervisor (Lost), found by its cgroup or invocation id.
	Leftovers []proc.Identity `json:"leftovers,omitzero"`
	// Stale is set when the record names a main pid that now belongs to
	// an unrelated process (pid reuse).
	Stale bool `json:"stale,omitzero"`
	// Members are the pids of its processes, as its supervisor tracks
	// them (its cgroup, or its descendants), while a supervisor runs it.
	Members []int `json:"members,omitzero"`
	// Elsewhere says that a process other than the host supervises it:
	// a daemon started --isolated (or by a tend from before the host).
	Elsewhere bool `json:"elsewhere,omitzero"`
}

// ExitCode is the LSB status code for the view: 0 running, 1 failed, dead
// or lost without being stopped, 3 stopped.
func (v *View) ExitCode() int {
	switch v.Condition {
	case Condition(status.Running), Condition(status.Starting), Condition(status.Stopping),
		Condition(status.Restarting), Condition(status.Reloading), Condition(status.Scheduled):
		return 0
	case Condition(status.Stopped), Condition(status.Completed):
		return 3
	case Condition(status.Exited):
		if v.LastExit != nil && v.LastExit.Code != 0 {
			return 1
		}
		return 3
	}
	return 1
}

// Error is the body of every failed request: what went wrong and what to
// do (Message), and a word for programs (Code).
type Error struct {
	Message string `json:"error"`
	Code    string `json:"code"`
	// PID is the running process of an already-running daemon.
	PID int `json:"pid,omitzero"`
	// Log is the daemon's log, whose last lines say why it did not
	// start, when its command ran.
	Log string `json:"log,omitzero"`
	// Stopped says that the daemon ran and was stopped: its record
	// stays, for status to show.
	Stopped bool `json:"stopped,omitzero"`
	// StartedAt is when the last incarnation of a daemon that crashed
	// during its start started: its stderr since then in Log says why.
	StartedAt time.Time `json:"started_at,omitzero"`
}

// Started is the answer to a start: the daemon's record once it is ready
// (and, with the default readiness, has settled), and what happened on
// the way.
type Started struct {
	status.Record
	// CrashesAtStart says how the incarnations that crashed during the
	// start ended (the supervisor restarted them, per --restart).
	CrashesAtStart []string `json:"crashes_at_start,omitzero"`
	// EndedAtStart, for a daemon that already ended cleanly: how, and
	// why it stays so.
	EndedAtStart string `json:"ended_at_start,omitzero"`
}

// DeadlineHeader carries the client's deadline (RFC 3339): a request the
// host reads after it (the host was stopped, or busy) is refused, not
// carried out for a client that has left.
const DeadlineHeader = "Tend-Deadline"

// ReadByHeader carries the time by which the host must have read the
// request (RFC 3339): a client whose host has not read it by then looks
// whether the host is halted (SIGSTOP, a hung disk), and gives up if so;
// the host refuses what it reads after it.
const ReadByHeader = "Tend-Read-By"

// Codes of Error.
const (
	CodeBadRequest     = "bad-request"
	CodeUnknown        = "unknown-daemon"
	CodeAlreadyRunning = "already-running"
	CodeNotRunning     = "not-running"
	CodeStale          = "stale-record"
	CodeStopping       = "stopping"
	CodeNotStarted     = "not-started"
	CodeReloadFailed   = "reload-failed"
	CodeReplaceFailed  = "replace-failed"
	CodeHostStopping   = "host-stopping"
	// CodeCrashed: the command ran, and crashed during its start
	// (Error.Log and Error.StartedAt say where its stderr is).
	CodeCrashed = "crashed-at-start"
	// CodeElsewhere: another process supervises the daemon (one started
	// --isolated, or by a tend from before the host); ask it.
	CodeElsewhere = "supervised-elsewhere"
	CodeExpired   = "expired"
	CodeInternal  = "internal"
)

// HostInfo answers GET /v1/host.
type HostInfo struct {
	PID       int       `json:"pid"`
	KeeperPID int       `json:"keeper_pid"`
	StartedAt time.Time `json:"started_at"`
	Version   string    `json:"version,omitzero"`
	// Daemons is how many daemons it runs.
	Daemons int `json:"daemons"`
	// The host's own Go figures, with ?stats=1 (reading them stops the
	// world a moment): goroutines, and bytes of heap in use, of stacks,
	// and obtained from the system.
	Goroutines int    `json:"goroutines,omitzero"`
	HeapInuse  uint64 `json:"heap_inuse,omitzero"`
	StackInuse uint64 `json:"stack_inuse,omitzero"`
	Sys        uint64 `json:"sys,omitzero"`
}

// StopRequest asks to stop several daemons at once (POST /v1/stop):
// those named, or with All every daemon that runs.
type StopRequest struct {
	Names []string `json:"names,omitzero"`
	All   bool     `json:"all,omitzero"`
}

// StopOutcome is what became of one daemon of a StopRequest: how it
// ended, or why it could not be stopped (Error, with Code).
type StopOutcome struct {
	Name        string `json:"name"`
	Description string `json:"description,omitzero"`
	Error       *Error `json:"error,omitzero"`
}

// UpgradeRequest asks the host to execute Path (the tend binary now on
// disk) in its keeper's place, and start a new host of it: POST
// /v1/host/upgrade. The host answers, then exits; its daemons run on.
type UpgradeRequest struct {
	Path string `json:"path"`
}

// Event is one line of GET /v1/events: a snapshot of every daemon first
// (EventSnapshot each, then EventSynced), then every change.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	Name string    `json:"name,omitzero"`
	// Daemon is its view after the change.
	Daemon *View `json:"daemon,omitzero"`
	// Message says why a stream ends (EventDropped).
	Message string `json:"message,omitzero"`
}

// Types of Event.
const (
	EventSnapshot = "snapshot"
	EventSynced   = "synced"
	EventChange   = "change"
	EventRemoved  = "removed"
	EventDropped  = "dropped"
)

// StopResult answers a stop: how the main process ended.
type StopResult struct {
	Description string `json:"description"`
}

// RestartResult answers a restart or reload: the new main process.
type RestartResult struct {
	PID int `json:"pid"`
}

// ScaleRequest asks for a number of instances.
type ScaleRequest struct {
	Instances int `json:"instances"`
}

// SignalRequest asks to signal the main process, or All of them.
type SignalRequest struct {
	Signal string `json:"signal"`
	All    bool   `json:"all,omitzero"`
}

// SignalResult says whom a signal reached: the pid (0 for several) and
// how many processes.
type SignalResult struct {
	PID       int `json:"pid"`
	Processes int `json:"processes"`
}

// ReplaceRequest brings a running daemon to a new definition (tend up,
// after a change): POST /v1/daemons/{name}/replace. With Reload the new
// version starts beside the old one, which goes once the new one is
// ready; otherwise the old one stops first. Either way, a new version
// that does not become ready (settled, by default) leaves the old one
// running (reload) or running again (restart), the stored definition as
// it was, and the request fails (422, CodeReplaceFailed).
type ReplaceRequest struct {
	Definition json.RawMessage `json:"definition"`
	Reload     bool            `json:"reload,omitzero"`
}
