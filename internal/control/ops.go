package control

// The operations a supervisor answers, and the data of their answers.
const (
	OpStatus  = "status"  // data: the daemon's status.Record
	OpStop    = "stop"    // data: StopResult
	OpRestart = "restart" // data: RestartResult
	OpSignal  = "signal"  // Signal names it; Group: every process; data: SignalResult
	OpRotate  = "rotate"  // rotate the output log now
	OpReopen  = "reopen"  // reopen the output log (after logrotate moved it)
	OpReload  = "reload"  // data: RestartResult (the new main pid, once ready)
	OpScale   = "scale"   // Args["instances"]: how many instances to run
)

// Codes of failed answers (Response.Code).
const (
	// CodeStopped: the daemon is stopping or has ended; its supervisor
	// is on its way out.
	CodeStopped = "stopped"
	// CodeNotRunning: nothing of the daemon runs.
	CodeNotRunning = "not-running"
	// CodeExpired: the request arrived after its client's deadline, and
	// was not carried out.
	CodeExpired = "expired"
)

// StopResult is the data of a stop answer.
type StopResult struct {
	// Description says how the daemon's main process ended.
	Description string `json:"description"`
}

// SignalResult is the data of a signal answer.
type SignalResult struct {
	// PID is the main process signalled; 0 when the signal went to every
	// process of the daemon, Processes of them.
	PID       int `json:"pid"`
	Processes int `json:"processes,omitzero"`
}

// RestartResult is the data of a restart answer.
type RestartResult struct {
	// PID is the new main process, ready.
	PID int `json:"pid"`
}
