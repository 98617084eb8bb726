package supervisor

import (
	"time"

	statedir "github.com/tendhq/tend/internal/state"
)

// fillRecord brings the record up to date with the machine and what the
// current incarnation said.
func (s *Supervisor) fillRecord() {
	m, r := s.m, &s.rec
	r.State = m.state.status()
	switch m.state {
	case stStarting, stUp, stBackoff, stRestarting, stEnding:
		r.WantUp = true
	default:
		r.WantUp = false
	}
	r.Restarts, r.LastExit, r.Err = m.restarts, m.lastExit, m.err
	r.NextStart = time.Time{}
	if m.state == stBackoff {
		r.NextStart = m.deadline
	}
	r.PID, r.StartTime, r.Adopted, r.Ready = 0, 0, "", false
	r.Status, r.Phase, r.WatchdogPing, r.Health, r.HealthCheck = "", "", time.Time{}, "", nil
	if inc := m.cur; inc != nil {
		r.PID, r.StartTime, r.Adopted = inc.main.PID, inc.main.StartTime, inc.adopted
		r.Incarnation, r.StartedAt, r.Ready = inc.id, inc.startedAt, inc.ready
		if run := s.incs[inc.id]; run != nil {
			r.Status, r.Phase, r.WatchdogPing = run.status, run.phase, run.lastPing
			r.Health, r.HealthCheck = run.health, run.check
			if run.errno != 0 {
				r.Errno = run.errno
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

// writeRecord writes status.json. A failed write is logged, not fatal:
// the daemon goes on, status asks the supervisor over its socket, and the
// next change tries again.
func (s *Supervisor) writeRecord() error {
	if !s.stateful() {
		return nil
	}
	s.fillRecord()
	s.rec.UpdatedAt = time.Now()
	err := statedir.WriteVolatileJSON(s.cfg.Dir.StatusFile(), &s.rec, 0o600)
	if err != nil {
		s.events.Error("write status", "err", err)
	}
	return err
}
