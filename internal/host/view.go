package host

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// Errors of the operations on a daemon.
var (
	errUnknown    = errors.New("no such daemon")
	errNotRunning = errors.New("not running")
	errStale      = errors.New("stale record")
)

// view is a daemon as the host sees it: its supervisor's record when the
// host runs it; otherwise its record on disk, checked against the
// processes that exist (a daemon whose host died before it could be
// taken over has leftovers: lost; none: dead).
func (h *Host) view(name string) (*api.View, *supervisor.Supervisor, error) {
	dir, err := h.store.Existing(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %s (see: tend list)", errUnknown, name)
	}
	if err != nil {
		return nil, nil, err
	}
	sup, starting := h.reg.lookup(name)
	if sup != nil {
		rec := sup.Record()
		v := &api.View{Record: rec, Condition: api.Condition(rec.State), SupervisorAlive: true}
		v.MainAlive = rec.Main().PID > 0 && rec.Main().Alive()
		for _, id := range sup.Processes() {
			v.Members = append(v.Members, id.PID)
		}
		return v, sup, nil
	}
	var rec status.Record
	if err := state.ReadJSON(dir.StatusFile(), &rec); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if starting {
				r := status.Record{Name: name, State: status.Starting, Supervisor: h.self}
				return &api.View{Record: r, Condition: api.Condition(status.Starting), SupervisorAlive: true}, nil, nil
			}
			return nil, nil, fmt.Errorf("%w: %s (see: tend list)", errUnknown, name)
		}
		return nil, nil, err
	}
	v := &api.View{Record: rec, Condition: api.Condition(rec.State)}
	if held, pid, err := pidfile.Holder(dir.SupervisorPIDFile(), rec.Supervisor.PID); err == nil && held && pid != h.self.PID {
		// Supervised by another process: a daemon started --isolated,
		// or by a tend from before the host. The holder is the process
		// that has the lock file open, whatever the file says; one that
		// cannot be found still holds the lock.
		if id, err := proc.Lookup(pid); pid == 0 || err == nil && id.Alive() {
			v.SupervisorAlive, v.Elsewhere = true, true
			v.MainAlive = rec.Main().PID > 0 && rec.Main().Alive()
			return v, nil, nil
		}
	}
	if starting {
		v.Condition, v.SupervisorAlive = api.Condition(status.Starting), true
		return v, nil, nil
	}
	if main := rec.Main(); main.PID > 0 {
		if main.Alive() {
			v.MainAlive = true
		} else if id, err := proc.Lookup(main.PID); err == nil && id.StartTime != main.StartTime {
			v.Stale = true // the pid lives on in someone else
		}
	}
	if !rec.State.Final() {
		v.Leftovers = rec.Processes()
		v.Condition = api.Dead
		if len(v.Leftovers) > 0 {
			v.Condition = api.Lost
		}
	}
	return v, nil, nil
}

// views returns every daemon's view, in the store's order.
func (h *Host) views() []*api.View {
	names, _ := h.store.List()
	var out []*api.View
	for _, n := range names {
		if v, _, err := h.view(n); err == nil {
			out = append(out, v)
		}
	}
	return out
}
