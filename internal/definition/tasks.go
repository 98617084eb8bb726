package definition

import (
	"fmt"
	"time"

	"github.com/tendhq/tend/internal/cron"
)

// Timer says when a scheduled daemon's next run is due: Next returns the
// first time after t (zero: never).
type Timer interface {
	Next(t time.Time) time.Time
	String() string
}

// Scheduled reports whether the daemon runs on a schedule (--every or
// --schedule) rather than all the time.
func (d *Definition) Scheduled() bool { return d.Every > 0 || d.Cron != "" }

// Task reports whether the command runs to completion: a one-shot, or
// the runs of a schedule. A task has no readiness of its own: a
// one-shot is ready once it has completed, a schedule once it is set.
func (d *Definition) Task() bool { return d.Oneshot || d.Scheduled() }

// Timer returns the daemon's schedule, nil when it has none.
func (d *Definition) Timer() (Timer, error) {
	switch {
	case d.Every > 0:
		return interval(d.Every), nil
	case d.Cron == "":
		return nil, nil
	}
	l, err := cron.Parse(d.Cron)
	if err != nil {
		return nil, err
	}
	loc := time.Local
	if d.Timezone != "" {
		if loc, err = time.LoadLocation(d.Timezone); err != nil {
			return nil, fmt.Errorf("%q is not a time zone this system knows (as Europe/Paris or UTC, from its zoneinfo): %v", d.Timezone, err)
		}
	}
	return zoned{l, loc}, nil
}

// interval is --every: runs that far apart, counted from the last one due.
type interval time.Duration

func (i interval) Next(t time.Time) time.Time { return t.Add(time.Duration(i)) }
func (i interval) String() string             { return "every " + time.Duration(i).String() }

// zoned is a cron line read in a time zone.
type zoned struct {
	line *cron.Line
	loc  *time.Location
}

func (z zoned) Next(t time.Time) time.Time {
	n := z.line.Next(t.In(z.loc))
	if n.IsZero() {
		return n
	}
	return n.In(t.Location())
}

func (z zoned) String() string { return fmt.Sprintf("%q (%s)", z.line.String(), z.loc) }

// validateTask checks the options of one-shots and schedules, and what
// they exclude: a task runs to completion, so it has no readiness,
// health, watchdog, sockets or instances, and a schedule restarts nothing.
func (d *Definition) validateTask() error {
	if d.Every < 0 {
		return usagef("--every %v: must not be negative", d.Every)
	}
	if d.Every > 0 && d.Cron != "" {
		return usagef("--every and --schedule exclude each other: give one")
	}
	if _, err := d.Timer(); err != nil {
		if d.Timezone != "" && d.Cron != "" {
			return usagef("--timezone %v", err)
		}
		return usagef("--schedule %v", err)
	}
	if d.Timezone != "" && d.Cron == "" {
		return usagef("--timezone goes with --schedule (the time zone its cron line is read in)")
	}
	if d.RunOnStart && !d.Scheduled() {
		return usagef("--run-on-start goes with --every or --schedule")
	}
	if !d.Task() {
		return nil
	}
	what := "--oneshot"
	if d.Scheduled() {
		what = "a schedule (--every, --schedule)"
		if d.Restart != "" && d.Restart != "never" {
			return usagef("--restart %s: %s restarts nothing: the next run is the schedule's; leave --restart out", d.Restart, what)
		}
	} else if d.Restart == "always" {
		return usagef("--restart always does not go with --oneshot, which runs to completion: give on-failure to try again after a failure, or leave it out")
	}
	for _, c := range []struct {
		flag string
		set  bool
	}{
		{"ready", d.Ready != "" && d.Ready != ReadySettled}, {"health", d.Health != ""}, {"watchdog", d.Watchdog > 0},
		{"listen", len(d.Listen) > 0}, {"instances", d.Instances > 1}, {"reload-signal", d.ReloadSignal != ""},
		{"pidfile", d.PIDFile != ""},
	} {
		if c.set {
			return usagef("--%s does not go with %s: its command runs to completion, and is not a service", c.flag, what)
		}
	}
	return nil
}
