package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervise"
)

// Record is the status file (status.json) a supervisor writes atomically on
// every transition, so that status and list work without asking it, and
// even when it is gone.
type Record struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
	// Supervisor names the supervisor process.
	Supervisor proc.Identity `json:"supervisor"`
	supervise.Snapshot
	// Log is the output log's path; LogError says why it cannot be
	// written, if it cannot, and LostLines how many lines were lost so far.
	Log       string `json:"log,omitzero"`
	LogError  string `json:"log_error,omitzero"`
	LostLines int64  `json:"lost_lines,omitzero"`
	// Status is the last STATUS= line the daemon sent over sd_notify.
	Status string `json:"status,omitzero"`
	// Ready says that the running child passed its --ready check; until
	// then State reads "starting". MainPID is the MAINPID= it sent (a
	// descendant), Phase "reloading" or "stopping" after RELOADING=1 or
	// STOPPING=1, Errno its last ERRNO=, WatchdogPing its last WATCHDOG=1.
	Ready        bool      `json:"ready,omitzero"`
	MainPID      int       `json:"main_pid,omitzero"`
	Phase        string    `json:"phase,omitzero"`
	Errno        int       `json:"errno,omitzero"`
	WatchdogPing time.Time `json:"watchdog_ping,omitzero"`
	// Health is the --health verdict ("healthy", "unhealthy (1 of 3
	// failures)"; empty before the first probe) and HealthCheck the last
	// probe's result.
	Health      string       `json:"health,omitzero"`
	HealthCheck *ProbeResult `json:"health_check,omitzero"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Child returns the identity of the running child, zero when none.
func (r *Record) Child() proc.Identity {
	return proc.Identity{PID: r.PID, StartTime: r.StartTime}
}

// Condition is what status reports: a supervise.State, or one of the
// conditions below that only an observer from outside can see.
type Condition string

const (
	// Lost: the supervisor is gone but its child still runs.
	Lost Condition = "lost"
	// Dead: the supervisor is gone without having stopped the child, and
	// the child is gone too.
	Dead Condition = "dead"
)

// View is a daemon as seen from outside: its record checked against the
// processes that actually exist.
type View struct {
	Record
	Condition       Condition
	SupervisorAlive bool
	ChildAlive      bool
	// Stale is set when the record names a child pid that now belongs to an
	// unrelated process (pid reuse).
	Stale bool
}

// ExitCode is the LSB status code for the view: 0 running, 1 failed or dead
// without being stopped, 3 stopped.
func (v *View) ExitCode() int {
	switch v.Condition {
	case Condition(supervise.Running), Condition(supervise.Starting), Condition(supervise.Stopping):
		return 0
	case Condition(supervise.Stopped):
		return 3
	case Condition(supervise.Exited):
		if v.LastExit != nil && v.LastExit.Code != 0 {
			return 1
		}
		return 3
	}
	return 1
}

// ErrUnknown is wrapped when no daemon of the name exists.
var ErrUnknown = errors.New("no such daemon")

// Inspect reads the daemon's record and checks it against the live
// processes: whether the supervisor holds its lock, and whether the child
// named in the record is that very process (pid and start time).
func Inspect(dir state.Dir) (*View, error) {
	var rec Record
	if err := state.ReadJSON(dir.StatusFile(), &rec); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if held, _, _ := pidfile.Locked(dir.SupervisorPIDFile()); held {
				// Started a moment ago; the first record is on its way.
				return &View{Record: Record{Name: dir.Name, Snapshot: supervise.Snapshot{State: supervise.Starting}}, Condition: Condition(supervise.Starting), SupervisorAlive: true}, nil
			}
			return nil, fmt.Errorf("%w: %s", ErrUnknown, dir.Name)
		}
		if errors.Is(err, state.ErrCorrupt) {
			// A running supervisor knows its record: ask it (it also
			// rewrites the file). Otherwise the error says what to do.
			if v, aerr := askSupervisor(dir); aerr == nil {
				return v, nil
			}
		}
		return nil, err
	}
	v := &View{Record: rec, Condition: Condition(rec.State)}
	held, _, err := pidfile.Locked(dir.SupervisorPIDFile())
	if err != nil {
		return nil, err
	}
	v.SupervisorAlive = held
	if child := rec.Child(); child.PID > 0 {
		if child.Alive() {
			v.ChildAlive = true
		} else if _, err := proc.Lookup(child.PID); err == nil {
			v.Stale = true // the pid lives on in someone else
		}
	}
	if !v.SupervisorAlive && !final(rec.State) {
		if v.ChildAlive {
			v.Condition = Lost
		} else {
			v.Condition = Dead
		}
	}
	return v, nil
}

func final(s supervise.State) bool {
	return s == supervise.Stopped || s == supervise.Failed || s == supervise.Exited
}

// askSupervisor returns the view of a daemon whose supervisor holds its
// lock, from the record the supervisor keeps in memory.
func askSupervisor(dir state.Dir) (*View, error) {
	if held, _, err := pidfile.Locked(dir.SupervisorPIDFile()); err != nil || !held {
		return nil, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	ctx, cancel := context.WithTimeout(context.Background(), control.DefaultTimeout)
	defer cancel()
	var rec Record
	if err := callRunning(ctx, dir, control.Request{Op: "status"}, &rec); err != nil {
		return nil, err
	}
	v := &View{Record: rec, Condition: Condition(rec.State), SupervisorAlive: true}
	v.ChildAlive = rec.Child().PID > 0 && rec.Child().Alive()
	return v, nil
}
