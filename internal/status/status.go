// Package status is the record of a daemon that its supervisor keeps in
// the daemon's folder (status.json), written atomically on every change,
// so that status and list work without asking the supervisor, and even
// when it is gone. The supervisor is its only writer; the client reads it.
package status

import (
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/rawstr"
)

// State is where a daemon is in its life. It is a string so that it reads
// well in status output and JSON.
type State string

// The states of a daemon as its supervisor sees it. Stopped, Failed and
// Exited are final: nothing of the daemon runs, and its supervisor exits.
const (
	Starting   State = "starting"    // its command runs and is not ready yet
	Running    State = "running"     // it is ready
	BackingOff State = "backing-off" // it ended; the next start is due at NextStart
	Stopping   State = "stopping"    // the stop schedule ends its processes
	Restarting State = "restarting"  // the stop schedule ends its processes; then it starts again
	Reloading  State = "reloading"   // it serves while its new incarnation starts beside it
	Stopped    State = "stopped"     // stopped on request (or never started)
	Failed     State = "failed"      // it could not be started, or gave up after too many starts
	Exited     State = "exited"      // it ended and the restart policy leaves it so
	// Completed is a one-shot (--oneshot) that ran to completion with
	// status 0; Scheduled a daemon with a schedule (--every, --schedule)
	// between two runs: its next run is due at NextRun.
	Completed State = "completed"
	Scheduled State = "scheduled"
)

// Final reports whether s is a state in which nothing of the daemon runs
// and nothing will be started again by its supervisor.
func (s State) Final() bool { return s == Stopped || s == Failed || s == Exited || s == Completed }

// Exit describes how a daemon's main process ended.
type Exit struct {
	// Code is the exit status, 128+N after death by signal N (as a shell
	// reports it), 127 when the program was not found and 126 when it
	// could not be executed; -1 when the status is unknown (a process
	// that was not the supervisor's child).
	Code int `json:"code"`
	// Signal names the signal that killed it ("KILL"), or is empty.
	Signal string `json:"signal,omitzero"`
	// Description is for people: "exited with status 3",
	// "killed by signal SEGV (core dumped)", "cannot run: ...".
	Description string `json:"description"`
	// At is when the supervisor learned of the exit.
	At time.Time `json:"at"`
}

// Short is e for a table column: "status 1", "SIGKILL", "not run", and
// "-" for none (e nil).
func (e *Exit) Short() string {
	switch {
	case e == nil:
		return "-"
	case e.Signal != "":
		return "SIG" + e.Signal
	case strings.HasPrefix(e.Description, "cannot run"):
		return "not run"
	case e.Code < 0:
		return "?"
	}
	return "status " + strconv.Itoa(e.Code)
}

// ProbeResult is the outcome of the last health probe.
type ProbeResult struct {
	At time.Time `json:"at"`
	OK bool      `json:"ok"`
	// Result says what the probe saw ("HTTP 200 OK", "connection refused").
	Result string `json:"result"`
	// Failures counts the failures in a row, this one included.
	Failures int `json:"failures,omitzero"`
}

// Record is status.json.
type Record struct {
	Name    string         `json:"name"`
	Command rawstr.Strings `json:"command"` // its bytes as they are: see package rawstr
	// Supervisor names the supervisor process.
	Supervisor proc.Identity `json:"supervisor"`
	State      State         `json:"state"`
	// WantUp is the last intent: true after a start or restart, false
	// after a stop (or once the daemon failed or exited for good).
	WantUp bool `json:"want_up"`

	// PID and StartTime name the daemon's main process (see proc.Identity);
	// both are zero when none is known. Adopted says how the main process
	// was found when it is not the process tend started: "pidfile PATH",
	// "the only process left", "MAINPID".
	PID       int    `json:"pid,omitzero"`
	StartTime uint64 `json:"start_time,omitzero"`
	Adopted   string `json:"adopted,omitzero"`
	// Incarnation counts the daemon's starts under this supervisor, from 1.
	Incarnation int `json:"incarnation,omitzero"`
	// Restarts counts the starts after the first, Reloads the reloads
	// (tend reload) that replaced it.
	Restarts int `json:"restarts"`
	Reloads  int `json:"reloads,omitzero"`
	// Next is the incarnation that starts beside the serving one during a
	// reload, and Retiring the main pids of those a reload replaced and
	// that are being stopped: while they overlap, status shows both.
	Next     *Incarnation `json:"next,omitzero"`
	Retiring []int        `json:"retiring,omitzero"`
	// InstanceCount is how many instances run (--instances); Instances
	// describes each when there are several (the fields above are the
	// first's, and State the daemon's as a whole).
	InstanceCount int        `json:"instance_count,omitzero"`
	Instances     []Instance `json:"instances,omitzero"`
	// StartedAt is when the current or last incarnation was started.
	StartedAt time.Time `json:"started_at,omitzero"`
	// LastExit describes how the last main process ended; nil until one has.
	LastExit *Exit `json:"last_exit,omitzero"`
	// NextStart is when the next start is due, while BackingOff.
	NextStart time.Time `json:"next_start,omitzero"`
	// Of a daemon with a schedule (--every, --schedule): Runs counts its
	// runs, Skipped those skipped because the one before still ran;
	// LastRun is when the last one started, NextRun when the next is due.
	Runs    int       `json:"runs,omitzero"`
	Skipped int       `json:"skipped,omitzero"`
	LastRun time.Time `json:"last_run,omitzero"`
	NextRun time.Time `json:"next_run,omitzero"`
	// Err explains a failure: why a start failed, why the supervisor gave
	// up, or which processes survived the stop schedule.
	Err string `json:"error,omitzero"`

	// Limits are the daemon's resource limits (--limit, --memory-max,
	// --cpu-max, --pids-max), LimitNotes those that could not be enforced
	// here, and LimitHit the last time one was hit and how.
	Limits     []string  `json:"limits,omitzero"`
	LimitNotes []string  `json:"limit_notes,omitzero"`
	LimitHit   string    `json:"limit_hit,omitzero"`
	LimitHitAt time.Time `json:"limit_hit_at,omitzero"`
	// LimitHits counts the hits of each limit that tend itself checks
	// (LimitMemory: --memory-max where no memory controller enforces
	// it), over the record's life; those a cgroup enforces are counted
	// by the kernel in the cgroup's files. The map is replaced, never
	// changed in place: copies of the record share it.
	LimitHits map[string]int64 `json:"limit_hits,omitzero"`

	// Where the daemon's processes can be found again, also by someone
	// else than the supervisor: written before the first of them starts.
	// Cgroup is the cgroup v2 directory that holds them all, when tend
	// has one; InvocationID is the value of TEND_INVOCATION_ID in their
	// environment, otherwise.
	Cgroup       string `json:"cgroup,omitzero"`
	InvocationID string `json:"invocation_id,omitzero"`

	// Log is the output log's path; LogError says why it cannot be
	// written, if it cannot, and LostLines how many lines were lost so far.
	Log       string `json:"log,omitzero"`
	LogError  string `json:"log_error,omitzero"`
	LostLines int64  `json:"lost_lines,omitzero"`
	// Status is the last STATUS= line the daemon sent over sd_notify.
	Status string `json:"status,omitzero"`
	// Ready says that the running incarnation passed its --ready check.
	// Phase is "reloading" or "stopping" after RELOADING=1 or STOPPING=1,
	// Errno its last ERRNO=, WatchdogPing its last WATCHDOG=1.
	Ready        bool      `json:"ready,omitzero"`
	Phase        string    `json:"phase,omitzero"`
	Errno        int       `json:"errno,omitzero"`
	WatchdogPing time.Time `json:"watchdog_ping,omitzero"`
	// Health is the --health verdict ("healthy", "unhealthy (1 of 3
	// failures)"; empty before the first probe) and HealthCheck the last
	// probe's result.
	Health      string       `json:"health,omitzero"`
	HealthCheck *ProbeResult `json:"health_check,omitzero"`
	// Hook is the last --on-exit or --on-failure hook run (hook.go).
	Hook *HookRun `json:"hook,omitzero"`
	// WatchError says why --watch is off: it could not be set up, or it
	// stopped a restart loop (the daemon writes files it watches).
	WatchError string    `json:"watch_error,omitzero"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Limits of LimitHits.
const (
	LimitMemory = "memory"
)

// Main returns the identity of the daemon's main process, zero when none.
func (r *Record) Main() proc.Identity {
	return proc.Identity{PID: r.PID, StartTime: r.StartTime}
}

// Incarnation is one run of a daemon's command, as status shows it.
type Incarnation struct {
	PID       int       `json:"pid,omitzero"`
	StartedAt time.Time `json:"started_at"`
	Ready     bool      `json:"ready,omitzero"`
}

// Instance is one of a daemon's instances (--instances).
type Instance struct {
	Index int   `json:"index"`
	State State `json:"state"`
	// Incarnation is the id of the instance's current incarnation (its
	// processes are tagged with it; see internal/keeper).
	Incarnation int          `json:"incarnation,omitzero"`
	PID         int          `json:"pid,omitzero"`
	StartTime   uint64       `json:"start_time,omitzero"`
	Adopted     string       `json:"adopted,omitzero"`
	Ready       bool         `json:"ready,omitzero"`
	StartedAt   time.Time    `json:"started_at,omitzero"`
	Restarts    int          `json:"restarts"`
	Reloads     int          `json:"reloads,omitzero"`
	LastExit    *Exit        `json:"last_exit,omitzero"`
	NextStart   time.Time    `json:"next_start,omitzero"`
	Err         string       `json:"error,omitzero"`
	Next        *Incarnation `json:"next,omitzero"`
	Retiring    []int        `json:"retiring,omitzero"`
}

// Main returns the identity of the instance's main process, zero when none.
func (i *Instance) Main() proc.Identity { return proc.Identity{PID: i.PID, StartTime: i.StartTime} }
