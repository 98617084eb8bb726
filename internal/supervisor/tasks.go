package supervisor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
)

// Tasks: a daemon whose command runs to completion rather than serves.
//
// A one-shot (--oneshot) runs its command once. It is not ready while it
// runs: it is ready, and its start is over, once it has completed (exit
// 0: state exited, shown as completed); a failure fails the start (or,
// with --restart on-failure, is tried again within the start limit). Its
// ready timeout, if given, bounds the run.
//
// A schedule (--every, --schedule) runs the command at the times its
// timer says. Between runs the machine waits in backoff (shown as
// scheduled) with the next run as its deadline, so that stop, restart
// (a run now) and a new host's takeover work as they do for a backoff;
// each run is ready at exec (shown as running) and, whatever its exit,
// ends in backoff again. The next run's time is kept in runs.next while a
// run runs: if it comes first, that run is skipped, and the event log
// says so. One deadline of the machine, so one timer of the supervisor:
// nothing polls.

// task is what the machine knows of a task's definition.
type task struct {
	oneshot    bool
	timer      definition.Timer // nil: no schedule
	runOnStart bool
}

func (t task) isTask() bool { return t.oneshot || t.timer != nil }

// applyTask sets the machine's configuration for a task.
func (c *machineConfig) applyTask(d *definition.Definition) {
	if !d.Task() {
		return
	}
	c.timer, _ = d.Timer() // Validate checked it
	c.oneshot = d.Oneshot && c.timer == nil
	c.runOnStart = d.RunOnStart
	c.settle = false
	if c.oneshot {
		c.readyAtExec, c.readyTimeout = false, d.ReadyTimeout
	}
}

// runs is a task's record of its runs.
type runs struct {
	count, skipped int
	last           time.Time // when the last run started
	next           time.Time // when the next one is due; zero: none
	completed      bool      // a one-shot ended with status 0
}

// firstRun sets a schedule up at the daemon's start: the start is over
// once it is set (or, with --run-on-start, once the first run runs).
func (m *machine) firstRun(now time.Time) {
	if m.cfg.runOnStart {
		m.run(now)
		return
	}
	m.decide(nil)
	m.runs.next = m.cfg.timer.Next(now)
	m.wait(now)
}

// run starts a run of a schedule. The next run is counted from the time
// this one was due, so that runs do not drift with the timer's latency.
func (m *machine) run(now time.Time) {
	m.runs.count++
	m.runs.last = now
	if m.runs.next.IsZero() || !m.runs.next.After(now) {
		base := now
		if !m.runs.next.IsZero() {
			base = m.runs.next
		}
		m.runs.next = m.cfg.timer.Next(base)
		if !m.runs.next.IsZero() && !m.runs.next.After(now) {
			m.runs.next = m.cfg.timer.Next(now)
		}
	}
	m.spawn(now)
}

// wait waits for the next run of a schedule.
func (m *machine) wait(now time.Time) {
	if !m.runs.next.IsZero() && !m.runs.next.After(now) {
		m.runs.next = m.cfg.timer.Next(now)
	}
	if m.runs.next.IsZero() {
		m.log(slog.LevelInfo, "no run is due any more", "schedule", m.cfg.timer.String())
		m.finish(stExited, now)
		return
	}
	m.state, m.deadline = stBackoff, m.runs.next
	m.log(slog.LevelInfo, "next run", "at", m.runs.next.Format(time.RFC3339Nano))
}

// taskEnded handles the end of a task's incarnation, and reports
// whether it did: a one-shot completed or failed, or a run of a schedule
// over. A one-shot that failed and that --restart on-failure tries again
// goes on to the restart policy (and is not a failed start).
func (m *machine) taskEnded(inc *incarnation, exit *status.Exit, now time.Time) bool {
	m.runs.last = inc.startedAt
	if m.cfg.timer != nil {
		m.err = ""
		if exit.Code != 0 {
			m.err = fmt.Sprintf("the run of %s %s", inc.startedAt.Local().Format(time.DateTime), exit.Description)
		}
		m.log(slog.LevelInfo, "run ended", "how", exit.Description, "run", m.runs.count,
			"after", now.Sub(inc.startedAt).Round(time.Millisecond).String())
		m.wait(now)
		return true
	}
	if exit.Code == 0 {
		m.runs.completed, m.err = true, ""
		m.log(slog.LevelInfo, "completed", "after", now.Sub(inc.startedAt).Round(time.Millisecond).String())
		m.decide(nil)
		m.reply(m.restartWaiters, result{})
		m.restartWaiters = nil
		m.finish(stExited, now)
		return true
	}
	if m.cfg.policy.Restarts(exit.Code) {
		inc.ready = true // not a failed start: the policy tries again
		return false
	}
	err := fmt.Errorf("%s %s", m.cfg.name, exit.Description)
	m.err = err.Error()
	m.log(slog.LevelError, "failed", "how", exit.Description)
	m.decide(err)
	m.reply(m.restartWaiters, result{err: err})
	m.restartWaiters = nil
	m.finish(stFailed, now)
	return true
}

// skipRun skips the run of a schedule that comes due while the one
// before still runs (or stops: then no run is due any more).
func (m *machine) skipRun(now time.Time) []any {
	if m.cfg.timer == nil || m.runs.next.IsZero() || now.Before(m.runs.next) || m.state == stBackoff {
		return nil
	}
	m.out = nil
	if m.state.final() || m.state == stStopping {
		m.runs.next = time.Time{}
		return nil
	}
	due := m.runs.next
	m.runs.skipped++
	m.runs.next = m.cfg.timer.Next(due)
	if !m.runs.next.IsZero() && !m.runs.next.After(now) {
		m.runs.next = m.cfg.timer.Next(now)
	}
	pid := 0
	if m.cur != nil {
		pid = m.cur.main.PID
	}
	m.log(slog.LevelWarn, "run skipped: the run before it still runs", "due", due.Format(time.RFC3339Nano),
		"pid", pid, "skipped", m.runs.skipped)
	return m.out
}

// resumeTask takes a schedule over in a new host: its counts, and the
// wait for its next run when none runs (a run that came due while no
// host ran starts at once). It reports whether it did all there was to
// do; a run that goes on is taken over as any incarnation is.
func (m *machine) resumeTask(r *resumption, now time.Time) bool {
	if m.cfg.timer == nil {
		return false
	}
	m.runs = r.runs
	if m.runs.next.IsZero() {
		m.runs.next = m.cfg.timer.Next(now)
	}
	if r.inc != 0 {
		return false
	}
	m.log(slog.LevelInfo, "taken over: waiting for the next run")
	m.state, m.deadline = stBackoff, m.runs.next
	if m.deadline.Before(now) {
		m.deadline = now
	}
	return true
}

// shown is the machine's state as status shows it: a one-shot that
// completed, a schedule waiting for its next run.
func (m *machine) shown() status.State {
	switch {
	case m.state == stExited && m.runs.completed:
		return status.Completed
	case m.state == stBackoff && m.cfg.timer != nil:
		return status.Scheduled
	}
	return m.state.status()
}

// runsOf is the record's view of a task's runs, for a new host.
func runsOf(rec *status.Record) runs {
	return runs{count: rec.Runs, skipped: rec.Skipped, last: rec.LastRun, next: rec.NextRun,
		completed: rec.State == status.Completed}
}

// fillRuns writes a schedule's runs into the record.
func (m *machine) fillRuns(r *status.Record) {
	r.Runs, r.Skipped, r.LastRun, r.NextRun = m.runs.count, m.runs.skipped, m.runs.last, time.Time{}
	if !m.state.final() {
		r.NextRun = m.runs.next
	}
}
