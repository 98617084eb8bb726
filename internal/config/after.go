package config

import (
	"fmt"
	"sort"
	"strings"
)

// The conditions of after: what a daemon waits for of one it comes after
// (after = { migrate = "completed_successfully", db = "ready" }). A list
// of names (after = ["db"]) means ready.
const (
	// Started: its command runs (a main process is known).
	Started = "started"
	// Ready: its start is over: ready per its --ready, settled by
	// default; a one-shot once it has completed successfully.
	Ready = "ready"
	// Healthy: ready, and its health probe has passed.
	Healthy = "healthy"
	// Completed: a one-shot that ended, whatever its exit status.
	Completed = "completed"
	// CompletedSuccessfully: a one-shot that ended with status 0.
	CompletedSuccessfully = "completed_successfully"
)

// Conditions lists the conditions after takes.
var Conditions = []string{Started, Ready, Healthy, Completed, CompletedSuccessfully}

// Condition returns what d waits for of dep: its after's condition, or
// Ready.
func (d *Daemon) Condition(dep string) string {
	if c, ok := d.conditions[dep]; ok {
		return c
	}
	return Ready
}

// parseAfter reads after: an array of names, or a table of name =
// condition.
func (d *Daemon) parseAfter(v any) error {
	if list, err := stringList(v); err == nil {
		d.After = list
		return nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want an array of daemon names, as in [\"db\"], or a table of conditions, as in { migrate = \"completed_successfully\", db = \"ready\" }")
	}
	d.After, d.conditions = nil, map[string]string{}
	for name, c := range table {
		s, ok := c.(string)
		if !ok || !validCondition(s) {
			return fmt.Errorf("%s: want one of %s, not %v", name, strings.Join(Conditions, ", "), c)
		}
		d.After = append(d.After, name)
		d.conditions[name] = s
	}
	sort.Strings(d.After)
	return nil
}

func validCondition(s string) bool {
	for _, c := range Conditions {
		if s == c {
			return true
		}
	}
	return false
}

// checkConditions refuses a condition that the daemon it names can never
// meet: completed needs a one-shot, healthy a health probe.
func (f *File) checkConditions() error {
	for _, d := range f.Daemons {
		for _, dep := range d.After {
			dd := f.Daemon(dep)
			if dd == nil {
				continue // Order says so
			}
			c := d.Condition(dep)
			switch {
			case (c == Completed || c == CompletedSuccessfully) && !(dd.Definition.Oneshot && !dd.Definition.Scheduled()):
				return &Error{File: f.Name, Line: d.Line, Key: d.Name + ".after." + dep,
					Msg: fmt.Sprintf("%s: %s never completes: it is not a one-shot (give it oneshot = true, or wait for it to be ready)", c, dep)}
			case c == Healthy && dd.Definition.Health == "":
				return &Error{File: f.Name, Line: d.Line, Key: d.Name + ".after." + dep,
					Msg: fmt.Sprintf("healthy: %s has no health probe (give it health = \"...\", or wait for it to be ready)", dep)}
			}
		}
	}
	return nil
}
