package main

import (
	"fmt"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// What the commands say of tasks: one-shots (--oneshot) and schedules
// (--every, --schedule), whose starts end with no process running.

// startedLine is the line of tend start, restart or up for a daemon it
// started: "started web (pid 812)"; for a one-shot, "completed migrate
// (after 1.2s)"; for a schedule, "scheduled backup (every 1h0m0s; next
// run at 10:00:00)".
func startedLine(verb string, dir state.Dir, def *definition.Definition, s started) string {
	what, detail := taskState(dir, def)
	if what == "" {
		return fmt.Sprintf("%s %s (pid %d%s)", verb, dir.Name, s.PID, s.Note())
	}
	return fmt.Sprintf("%s %s (%s)", what, dir.Name, detail)
}

// taskState says how a task's start ended: its state and what to say of
// it; empty for a daemon that is no task.
func taskState(dir state.Dir, def *definition.Definition) (string, string) {
	if def == nil || !def.Task() {
		return "", ""
	}
	v, err := client.Inspect(dir)
	if err != nil {
		return "started", err.Error()
	}
	return string(v.Condition), runNote(def, &v.Record)
}

// runNote describes a task's last and next run for status and start.
func runNote(def *definition.Definition, r *status.Record) string {
	if !def.Scheduled() {
		if r.LastExit != nil && !r.LastRun.IsZero() {
			return r.LastExit.Description + " after " + r.LastExit.At.Sub(r.LastRun).Round(time.Millisecond).String()
		}
		return string(r.State)
	}
	t, _ := def.Timer()
	note := t.String()
	if !r.NextRun.IsZero() {
		note += "; next run at " + clock(r.NextRun)
	}
	if r.PID > 0 {
		note += fmt.Sprintf("; running now (pid %d)", r.PID)
	}
	return note
}

// clock shows a time of today as 10:00:00, another day's with its date.
func clock(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return t.Format("15:04:05")
	}
	return t.Format(time.DateTime)
}

// taskRows are the lines of tend status about a task's runs.
func taskRows(def *definition.Definition, r *status.Record, row func(k, format string, args ...any)) {
	if def == nil || !def.Task() {
		return
	}
	if def.Scheduled() {
		t, _ := def.Timer()
		row("schedule", "%s", t)
		row("runs", "%d (%d skipped: the run before still ran)", r.Runs, r.Skipped)
	}
	if !r.LastRun.IsZero() {
		how := ""
		if r.LastExit != nil && r.PID == 0 {
			how = ", " + r.LastExit.Description
			if !r.LastExit.At.Before(r.LastRun) {
				how += " after " + r.LastExit.At.Sub(r.LastRun).Round(time.Millisecond).String()
			}
		}
		row("last run", "%s (%s ago%s)", clock(r.LastRun), since(r.LastRun), how)
	}
	if !r.NextRun.IsZero() {
		row("next run", "%s (in %s)", clock(r.NextRun), until(r.NextRun))
	}
}

// until says how long until t, as since says how long ago.
func until(t time.Time) string {
	d := time.Until(t)
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
