package supervise

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Spec describes the command a Process runs and how it is kept running.
// The zero value of each field is documented with it; Path is required.
type Spec struct {
	// Path is the program to run. A Path without a slash is looked up in the
	// supervisor's PATH at each start, as exec.LookPath does.
	Path string
	// Args holds the command line, including the program name as Args[0].
	// If Args is empty, the child gets []string{Path}.
	Args []string
	// Dir is the child's working directory; "" means the supervisor's.
	Dir string
	// Env is the child's environment as KEY=VALUE strings; nil means the
	// supervisor's environment.
	Env []string
	// Umask, if not nil, is the child's umask; nil means the child inherits
	// the supervisor's. Go cannot set a umask in the child alone, so Start
	// sets it in the whole supervisor process around fork and restores it
	// afterwards: files other goroutines create during that millisecond get
	// it too. A supervisor that runs one child may prefer to set its own
	// umask once at startup and leave this nil.
	Umask *fs.FileMode
	// Credential, if not nil, runs the child as another user and group; the
	// supervisor needs the privilege to switch (typically root). A
	// Credential the kernel refuses makes Start fail.
	Credential *syscall.Credential
	// Stdout and Stderr are the child's standard output and error. They
	// remain owned by the caller, who must keep them open while the Process
	// may restart; each incarnation gets them anew. Nil means /dev/null.
	// Standard input is always /dev/null.
	Stdout, Stderr *os.File
	// ExtraFiles are passed as file descriptors 3, 4, ... of each
	// incarnation, as in exec.Cmd; a nil entry leaves that descriptor closed.
	ExtraFiles []*os.File
	// Prepare, if not nil, is called before each incarnation is started,
	// with the Process's lock held: it must not call the Process's methods.
	// It returns what that incarnation alone gets (see Incarnation), or an
	// error that counts as a failed start.
	Prepare func() (Incarnation, error)
	// Restart says when an exited child is started again; the zero value is
	// OnFailure.
	Restart RestartPolicy
	// Backoff spaces restarts out; see Backoff for its defaults.
	Backoff Backoff
	// StartLimit gives up on a crash loop; see StartLimit for its defaults.
	StartLimit StartLimit
	// Stop is the schedule Stop runs; empty means DefaultSchedule().
	Stop Schedule
}

// Incarnation is what Spec.Prepare hands to one start of the child.
type Incarnation struct {
	// Files are passed after Spec.ExtraFiles, as the next descriptors; a
	// nil entry leaves that descriptor closed.
	Files []*os.File
	// Env, if not nil, replaces Spec.Env for this start.
	Env []string
	// Args, if not empty, replaces Spec.Path and Spec.Args for this start:
	// Args[0] is the program's path (looked up like Spec.Path) and the rest
	// its arguments, argv[0] included (for a wrapper such as a shell).
	Args []string
	// Started, if not nil, is called once the start is over, with the
	// Process's lock held: with the child's pid, or 0 when it failed. It is
	// where the caller closes its copies of Files.
	Started func(pid int)
}

// State is where a Process is in its life. It is a string so that it reads
// well in status output and JSON.
type State string

// The states of a Process. Stopped, Failed and Exited are final: the child
// will not be started again.
const (
	Starting   State = "starting"    // forking and executing a child
	Running    State = "running"     // a child is running
	BackingOff State = "backing-off" // waiting out the backoff before a restart
	Stopping   State = "stopping"    // Stop is running its schedule
	Stopped    State = "stopped"     // not yet started, or stopped by Stop
	Failed     State = "failed"      // the first start failed, or the start limit was hit
	Exited     State = "exited"      // the child exited and the policy does not restart it
)

// Exit describes how one incarnation of the child ended.
type Exit struct {
	// Code is the exit status, 128+N after death by signal N (as a shell
	// reports it), 127 when the program was not found and 126 when it
	// could not be executed.
	Code int `json:"code"`
	// Signal names the signal that killed the child ("KILL"), or is empty.
	Signal string `json:"signal,omitzero"`
	// Description is for people: "exited with status 3",
	// "killed by signal SEGV (core dumped)", "cannot run: ...".
	Description string `json:"description"`
	// At is when the supervisor learned of the exit.
	At time.Time `json:"at"`
}

// Snapshot is the observable state of a Process at one moment.
type Snapshot struct {
	State State `json:"state"`
	// PID and StartTime name the running child (see proc.Identity); both
	// are zero when no child is running.
	PID       int    `json:"pid,omitzero"`
	StartTime uint64 `json:"start_time,omitzero"`
	// Restarts counts the starts after the first.
	Restarts int `json:"restarts"`
	// StartedAt is when the current or last child was started.
	StartedAt time.Time `json:"started_at,omitzero"`
	// LastExit describes how the last child ended; nil until one has.
	LastExit *Exit `json:"last_exit,omitzero"`
	// NextStart is when the next restart is due, while BackingOff.
	NextStart time.Time `json:"next_start,omitzero"`
	// Err explains a failure: why a start failed, why the Process gave up,
	// or what Stop could not kill.
	Err string `json:"error,omitzero"`
}

var (
	// ErrStarted reports a second call to Start, or a Start after Stop.
	ErrStarted = errors.New("supervise: already started")
	// ErrNotRunning reports a Signal while no child is running.
	ErrNotRunning = errors.New("supervise: not running")
	// ErrStopTimeout reports that processes survived the whole stop schedule.
	ErrStopTimeout = errors.New("supervise: processes survived the stop schedule")
)
