// Package client is how tend's commands reach a daemon: they read its
// record and check it against the processes that exist (Inspect), ask its
// supervisor over the control socket (Stop, Restart, Signal, LogRequest),
// or, when the supervisor is gone, act on the daemon's processes
// themselves, found by its cgroup or its invocation id and verified by pid
// and start time. Start launches a new supervisor.
package client

import (
	"context"
	"errors"
	"fmt"
	"github.com/tendhq/tend/internal/api"
	"io/fs"
	"time"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// Condition is what status reports (see api.Condition).
type Condition = api.Condition

// The conditions only an observer from outside can see.
const (
	Lost = api.Lost
	Dead = api.Dead
)

// View is a daemon as seen from outside (see api.View).
type View = api.View

// ErrUnknown is wrapped when no daemon of the name exists.
var ErrUnknown = errors.New("no such daemon")

// Inspect reads the daemon's record and checks it against the live
// processes: whether its supervisor holds the lock and is the one the
// record names, alive (a dead process's lock lingers a moment), and
// whether the main process named in the record is that very process.
// When the supervisor is gone before the daemon ended, it looks for the
// daemon's processes (status.Record.Processes): Lost if some run, Dead if
// none.
func Inspect(dir state.Dir) (*View, error) {
	if InHost(dir) {
		v, err := hostView(dir)
		if err == nil && v.Elsewhere {
			// Its own supervisor (tend run --name, a tend from before
			// the host) knows it best.
			if own, err := inspect(dir, true); err == nil {
				own.Elsewhere = own.SupervisorAlive
				return own, nil
			}
		}
		if !errors.Is(err, errNoHost) {
			return v, err
		}
	}
	return inspect(dir, true)
}

// Peek is Inspect from the record on disk alone, without asking a running
// supervisor for its fresher copy (a round trip): enough to know which
// supervisor to ask (Stop). The file is written after each batch of events
// the supervisor handles, so it may lack an event that already happened
// (a process's exit still in flight), and lags for as long as the disk is
// full; a caller that watches what the daemon does uses Inspect, whose
// answer comes from the loop after every event before it.
func Peek(dir state.Dir) (*View, error) {
	if InHost(dir) {
		return Inspect(dir)
	}
	return inspect(dir, false)
}

// inspect is Inspect; fresh says whether to ask a running supervisor for
// its record even when the file is readable (it may be behind).
func inspect(dir state.Dir, fresh bool) (*View, error) {
	var rec status.Record
	if err := state.ReadJSON(dir.StatusFile(), &rec); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if sup, ok := lockHolder(dir); ok {
				// Started a moment ago; the first record is on its way.
				return &View{Record: status.Record{Name: dir.Name, Supervisor: sup, State: status.Starting},
					Condition: Condition(status.Starting), SupervisorAlive: true}, nil
			}
			return nil, fmt.Errorf("%w: %s", ErrUnknown, dir.Name)
		}
		// A running supervisor knows its record: ask it (it also tries
		// to write the file again). Otherwise the error says what to do.
		if v, aerr := askSupervisor(dir); aerr == nil {
			return v, nil
		}
		return nil, err
	}
	sup, held := lockHolder(dir)
	if !held && !rec.State.Final() {
		// A supervisor writes its last record before it lets go of its
		// lock: a read just before its end and a look at the lock just
		// after would take a daemon that ended well for one left dead.
		// Now that the lock is free, the file holds its last word.
		var last status.Record
		if state.ReadJSON(dir.StatusFile(), &last) == nil {
			rec = last
		}
	}
	v := &View{Record: rec, Condition: Condition(rec.State)}
	if fresh && held && sup == rec.Supervisor {
		// The file may be behind (a full disk keeps the supervisor from
		// writing it): the supervisor's own record is the truth.
		if av, err := askSupervisor(dir); err == nil {
			return av, nil
		}
	}
	switch {
	case held && sup != rec.Supervisor:
		// Another supervisor took the name after this record was
		// written: it is starting, and writes its own next.
		v.Record = status.Record{Name: rec.Name, Command: rec.Command, Supervisor: sup, State: status.Starting}
		v.Condition, v.SupervisorAlive = Condition(status.Starting), true
		return v, nil
	case held:
		v.SupervisorAlive = true
	}
	if main := rec.Main(); main.PID > 0 {
		if main.Alive() {
			v.MainAlive = true
		} else if id, err := proc.Lookup(main.PID); err == nil && id.StartTime != main.StartTime {
			v.Stale = true // the pid lives on in someone else
		}
	}
	if !v.SupervisorAlive && !rec.State.Final() {
		v.Leftovers = rec.Processes()
		if len(v.Leftovers) > 0 {
			v.Condition = Lost
		} else {
			v.Condition = Dead
		}
	}
	return v, nil
}

// lockHolder returns the supervisor that holds the daemon's lock, if one
// does and is alive: the kernel releases a dead process's lock a moment
// after it died, and a zombie holds none.
func lockHolder(dir state.Dir) (proc.Identity, bool) {
	held, pid, err := pidfile.Holder(dir.SupervisorPIDFile(), recordedSupervisor(dir))
	if err != nil || !held || pid <= 0 {
		return proc.Identity{}, false
	}
	id, err := proc.Lookup(pid)
	if err != nil || !id.Alive() {
		return proc.Identity{}, false
	}
	return id, true
}

// recordedSupervisor is the supervisor the daemon's record names, 0 when
// none can be read: with the pid written in the lock file, the processes
// that may hold the lock (see pidfile.Holder).
func recordedSupervisor(dir state.Dir) int {
	var rec status.Record
	if state.ReadJSON(dir.StatusFile(), &rec) != nil {
		return 0
	}
	return rec.Supervisor.PID
}

// askTimeout bounds a status request: a supervisor that does not answer
// at once (stopped, busy) leaves status to its record on disk.
const askTimeout = time.Second

// askSupervisor returns the view of a daemon whose supervisor holds its
// lock, from the record the supervisor keeps in memory.
func askSupervisor(dir state.Dir) (*View, error) {
	if _, ok := lockHolder(dir); !ok {
		return nil, fmt.Errorf("%s: %w", dir.Name, ErrNotRunning)
	}
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	var rec status.Record
	if err := call(ctx, dir, control.Request{Op: control.OpStatus}, &rec); err != nil {
		return nil, err
	}
	v := &View{Record: rec, Condition: Condition(rec.State), SupervisorAlive: true}
	v.MainAlive = rec.Main().PID > 0 && rec.Main().Alive()
	return v, nil
}
