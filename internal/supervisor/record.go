package supervisor

import (
	"bytes"
	"encoding/json"
	"time"

	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// fillRecord brings the record up to date with the machines and what the
// current incarnations said. The top-level fields are the first
// instance's, State the daemon's as a whole (see aggregate).
func (s *Supervisor) fillRecord() {
	r := &s.rec
	var insts []status.Instance
	for _, in := range s.insts {
		if !in.leaving {
			insts = append(insts, s.instanceRecord(in))
		}
	}
	r.InstanceCount, r.Instances = len(insts), nil
	if len(insts) > 1 {
		r.Instances = insts
	}
	r.State, r.WantUp = aggregate(s.insts)
	if len(insts) > 0 {
		first := insts[0]
		r.PID, r.StartTime, r.Adopted, r.Ready = first.PID, first.StartTime, first.Adopted, first.Ready
		r.StartedAt, r.Restarts, r.Reloads, r.LastExit = first.StartedAt, first.Restarts, first.Reloads, first.LastExit
		r.NextStart, r.Err, r.Next, r.Retiring = first.NextStart, first.Err, first.Next, first.Retiring
	}
	if len(s.insts) > 0 {
		s.insts[0].m.fillRuns(r)
	}
	r.Status, r.Phase, r.WatchdogPing, r.Health, r.HealthCheck = "", "", time.Time{}, "", nil
	if len(s.insts) > 0 {
		if inc := s.insts[0].m.cur; inc != nil {
			r.Incarnation = inc.id
			if run := s.incs[inc.id]; run != nil {
				r.Status, r.Phase, r.WatchdogPing = run.status, run.phase, run.lastPing
				r.Health, r.HealthCheck = run.health, run.check
				if run.errno != 0 {
					r.Errno = run.errno
				}
			}
		}
	}
	if s.output != nil {
		lost, err := s.output.stats()
		r.LostLines, r.LogError = lost, ""
		if err != nil {
			r.LogError = err.Error()
		}
	}
}

// instanceRecord is what status shows of one instance.
func (s *Supervisor) instanceRecord(in *instance) status.Instance {
	m := in.m
	i := status.Instance{Index: in.index, State: m.shown(), Restarts: m.restarts, Reloads: m.reloads,
		LastExit: m.lastExit, Err: m.err}
	if m.state == stBackoff && m.cfg.timer == nil {
		i.NextStart = m.deadline
	}
	if inc := m.cur; inc != nil {
		i.Incarnation = inc.id
		i.PID, i.StartTime, i.Adopted = inc.main.PID, inc.main.StartTime, inc.adopted
		i.StartedAt, i.Ready = inc.startedAt, inc.ready
	}
	if inc := m.next; inc != nil {
		i.Next = &status.Incarnation{PID: inc.main.PID, StartedAt: inc.startedAt, Ready: inc.ready}
	}
	for _, r := range m.retiring {
		if r.inc.main.PID != 0 {
			i.Retiring = append(i.Retiring, r.inc.main.PID)
		}
	}
	return i
}

// aggregate is the daemon's state from its instances': the first of
// stopping, restarting, reloading, starting, backing off that any is in,
// else running if any runs, else the first instance's (final) state;
// starting before there is any.
func aggregate(insts []*instance) (status.State, bool) {
	if len(insts) == 0 {
		// The write-ahead record, before the first start: should this
		// supervisor die now, whatever it started is looked for.
		return status.Starting, true
	}
	for _, st := range []state{stStopping, stRestarting, stReloading, stEnding, stStarting, stBackoff, stUp} {
		for _, in := range insts {
			if !in.leaving && in.m.state == st {
				return in.m.shown(), st != stStopping
			}
		}
	}
	return insts[0].m.shown(), false
}

// writeRecord writes status.json, when it has changed since the last
// write. A failed write is logged, not fatal: the daemon goes on, status
// asks the supervisor, and the next message tries again.
func (s *Supervisor) writeRecord() error {
	if !s.stateful() {
		return nil
	}
	s.fillRecord()
	s.rec.UpdatedAt = time.Time{}
	now, err := json.Marshal(&s.rec)
	if err == nil && bytes.Equal(now, s.written) {
		return nil
	}
	s.rec.UpdatedAt = time.Now()
	err = statedir.WriteVolatileJSON(s.cfg.Dir.StatusFile(), &s.rec, 0o600)
	if err != nil {
		s.events.Error("write status", "err", err)
		return err
	}
	s.written = now
	return nil
}

// rewriteRecord writes status.json even if it has not changed (it was
// removed).
func (s *Supervisor) rewriteRecord() error {
	s.written = nil
	return s.writeRecord()
}
