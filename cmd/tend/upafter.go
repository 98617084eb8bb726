package main

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
)

// The conditions of after (config.Conditions) in tend up: each daemon
// waits for each one it comes after to meet its condition, and is not
// started when it can no longer be met.

// gateFunc waits for dep to meet d's condition on it (see runGraph).
type gateFunc func(d *config.Daemon, dep string, done <-chan struct{}, errOf func() error) error

// gate is tend up's gateFunc.
func (u *upper) gate(d *config.Daemon, dep string, done <-chan struct{}, errOf func() error) error {
	cond := d.Condition(dep)
	dd := u.file.Daemon(dep)
	dir, derr := u.store.Dir(u.name(dd))
	if derr != nil {
		return derr
	}
	view := func() *client.View {
		v, err := client.Inspect(dir)
		if err != nil {
			return nil
		}
		return v
	}
	if cond == config.Started {
		// Not the end of its start: a main process will do.
		for {
			select {
			case <-done:
			case <-time.After(20 * time.Millisecond):
				if v := view(); v != nil && v.MainAlive && v.SupervisorAlive {
					return nil
				}
				continue
			}
			break
		}
	} else {
		<-done
	}
	err := errOf()
	v := view()
	switch cond {
	case config.Started:
		if v != nil && !v.StartedAt.IsZero() && (err == nil || v.LastExit != nil) {
			return nil
		}
	case config.Completed:
		if v != nil && (v.Condition == client.Condition(status.Completed) || v.Condition == client.Condition(status.Failed) && v.LastExit != nil) {
			return nil
		}
	case config.CompletedSuccessfully:
		if err == nil && v != nil && v.Condition == client.Condition(status.Completed) {
			return nil
		}
	case config.Healthy:
		if err == nil {
			if err = waitHealthy(&dd.Definition, view); err == nil {
				return nil
			}
		}
	default:
		if err != nil {
			return fmt.Errorf("skipped: %s failed", dep)
		}
		return nil
	}
	return fmt.Errorf("not started: it waits for %s to be %s, and %s", dep, strings.ReplaceAll(cond, "_", " "), howItWent(dep, err, v))
}

// howItWent says why dep did not meet a condition.
func howItWent(dep string, err error, v *client.View) string {
	switch {
	case v != nil && v.Condition == client.Condition(status.Failed) && v.LastExit != nil:
		return fmt.Sprintf("%s failed: it %s (tend logs %s)", dep, v.LastExit.Description, v.Name)
	case err != nil:
		return fmt.Sprintf("%s failed: %s", dep, userMessage(err))
	case v != nil:
		return fmt.Sprintf("%s is %s", dep, v.Condition)
	}
	return dep + " did not start"
}

// waitHealthy waits until a ready daemon's health probe has passed, at
// most as long as the probes it takes to call it unhealthy.
func waitHealthy(def *definition.Definition, view func() *client.View) error {
	deadline := time.Now().Add(time.Duration(def.HealthThresholdOrDefault()+1)*def.HealthIntervalOrDefault() + definition.ProbeTimeout)
	for {
		v := view()
		switch {
		case v == nil:
			return errors.New("it is gone")
		case v.Health == "healthy":
			return nil
		case v.State.Final():
			return fmt.Errorf("it is %s", v.Condition)
		case time.Now().After(deadline):
			return fmt.Errorf("its health probe has not passed (%s)", cmp.Or(v.Health, "no probe yet"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// completedAlready says what tend up says of a one-shot that completed
// with the definition the file gives it: it is not run again (tend
// restart NAME runs it again). Empty for anything else.
func (u *upper) completedAlready(v *client.View, old, want *definition.Definition) string {
	if v == nil || old == nil || !want.Oneshot || want.Scheduled() || v.SupervisorAlive || len(v.Leftovers) > 0 ||
		v.Condition != client.Condition(status.Completed) {
		return ""
	}
	if why, other := changes(old, want); len(why)+len(other) > 0 {
		return ""
	}
	ago := ""
	if v.LastExit != nil {
		ago = ", " + since(v.LastExit.At) + " ago"
	}
	return fmt.Sprintf("unchanged (completed%s; tend restart %s runs it again)", ago, v.Name)
}
