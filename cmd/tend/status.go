package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/proc"
)

func statusCommand() *command {
	return &command{
		name:    "status",
		usage:   "NAME",
		summary: "show state, pid, uptime, restarts, last exit, log",
		help: `Show a daemon's state (running, starting, backing-off, stopping, stopped,
failed, exited; lost when its supervisor is gone but the command still
runs; dead when both are gone without a stop), its pid, uptime, restarts,
last exit and log. Read from its status file: works without the supervisor.

Exit status (LSB): 0 running, 1 failed, dead or lost, 3 stopped, 4 unknown name.`,
		run: runStatus,
	}
}

func runStatus(args []string) int {
	fs := flag.NewFlagSet("tend status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return usageError("status: give exactly one name: tend status [--json] NAME")
	}
	dir, err := daemonDir(fs.Arg(0))
	if err != nil {
		return fail(err)
	}
	v, err := client.Inspect(dir)
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		printJSON(jsonView(v))
		return v.ExitCode()
	}
	printStatus(os.Stdout, v)
	return v.ExitCode()
}

func printStatus(w io.Writer, v *client.View) {
	fmt.Fprintf(w, "%s: %s", v.Name, describeCondition(v))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "  %s:\t"+format+"\n", append([]any{k}, args...)...)
	}
	if v.PID > 0 && v.MainAlive {
		row("pid", "%d", v.PID)
	}
	if up := v.SupervisorAlive && !v.State.Final() || v.Condition == client.Lost; up && !v.StartedAt.IsZero() {
		row("uptime", "%s (since %s)", since(v.StartedAt), v.StartedAt.Local().Format(time.DateTime))
	}
	if len(v.Leftovers) > 0 {
		row("processes", "%s (running without a supervisor)", pids(v.Leftovers))
	}
	if v.SupervisorAlive {
		row("supervisor", "pid %d", v.Supervisor.PID)
	}
	row("restarts", "%d", v.Restarts)
	if v.LastExit != nil {
		row("last exit", "%s (%s ago)", v.LastExit.Description, since(v.LastExit.At))
	}
	if !v.NextStart.IsZero() && v.Condition == "backing-off" {
		row("next start", "in %s", time.Until(v.NextStart).Round(time.Millisecond))
	}
	if v.Err != "" {
		row("error", "%s", v.Err)
	}
	if v.Status != "" {
		row("status", "%s", v.Status)
	}
	if v.Reloads > 0 {
		row("reloads", "%d", v.Reloads)
	}
	if len(v.Limits) > 0 {
		row("limits", "%s", strings.Join(v.Limits, " "))
	}
	for _, n := range v.LimitNotes {
		row("not enforced", "%s", n)
	}
	if v.LimitHit != "" {
		row("limit hit", "%s (%s ago)", v.LimitHit, since(v.LimitHitAt))
	}
	if n := v.Next; n != nil {
		row("reloading", "new incarnation pid %d started %s ago, %s", n.PID, since(n.StartedAt), map[bool]string{true: "ready", false: "not ready yet"}[n.Ready])
	}
	if len(v.Retiring) > 0 {
		row("retiring", "pid %v (replaced by a reload, stopping)", v.Retiring)
	}
	for _, in := range v.Instances {
		desc := string(in.State)
		if in.PID > 0 {
			desc += fmt.Sprintf(", pid %d", in.PID)
		}
		if !in.StartedAt.IsZero() && in.PID > 0 {
			desc += ", up " + since(in.StartedAt)
		}
		desc += fmt.Sprintf(", %d restarts", in.Restarts)
		if in.Next != nil {
			desc += fmt.Sprintf(", reloading: new pid %d", in.Next.PID)
		}
		if in.LastExit != nil {
			desc += ", last exit: " + in.LastExit.Description
		}
		row(fmt.Sprintf("instance %d", in.Index), "%s", desc)
	}
	readinessRows(v, row)
	row("command", "%s", strings.Join(v.Command, " "))
	if v.Log != "" {
		row("log", "%s", v.Log)
	}
	if v.LogError != "" {
		row("log error", "%s", v.LogError)
	}
	if v.LostLines > 0 {
		row("lost lines", "%d (the log could not be written)", v.LostLines)
	}
	tw.Flush()
}

func describeCondition(v *client.View) string {
	switch v.Condition {
	case client.Lost:
		return fmt.Sprintf("lost: its supervisor is gone, %d of its processes still run (stop them with: tend stop %s)", len(v.Leftovers), v.Name)
	case client.Dead:
		s := "dead: its supervisor was killed and the command is gone"
		if v.Stale {
			s += fmt.Sprintf("; pid %d now belongs to another process (stale)", v.PID)
		}
		return s
	}
	return string(v.Condition)
}

func since(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// statusJSON is the --json form of a daemon's status, stable for scripts.
type statusJSON struct {
	Name            string    `json:"name"`
	State           string    `json:"state"`
	PID             int       `json:"pid,omitzero"`
	SupervisorPID   int       `json:"supervisor_pid,omitzero"`
	StartedAt       time.Time `json:"started_at,omitzero"`
	Restarts        int       `json:"restarts"`
	LastExit        any       `json:"last_exit,omitzero"`
	Error           string    `json:"error,omitzero"`
	Command         []string  `json:"command"`
	Log             string    `json:"log,omitzero"`
	LogError        string    `json:"log_error,omitzero"`
	LostLines       int64     `json:"lost_lines,omitzero"`
	Status          string    `json:"status,omitzero"`
	Stale           bool      `json:"stale,omitzero"`
	Ready           bool      `json:"ready,omitzero"`
	Adopted         string    `json:"adopted,omitzero"`
	Processes       []int     `json:"processes,omitzero"`
	Phase           string    `json:"phase,omitzero"`
	Errno           int       `json:"errno,omitzero"`
	Health          string    `json:"health,omitzero"`
	HealthCheck     any       `json:"health_check,omitzero"`
	Reloads         int       `json:"reloads,omitzero"`
	Limits          []string  `json:"limits,omitzero"`
	LimitNotes      []string  `json:"limit_notes,omitzero"`
	LimitHit        string    `json:"limit_hit,omitzero"`
	LimitHitAt      time.Time `json:"limit_hit_at,omitzero"`
	Next            any       `json:"next,omitzero"`
	Retiring        []int     `json:"retiring,omitzero"`
	InstanceCount   int       `json:"instance_count,omitzero"`
	Instances       any       `json:"instances,omitzero"`
	StatusExitCode  int       `json:"status_exit_code"`
	SupervisorAlive bool      `json:"supervisor_alive"`
}

func jsonView(v *client.View) statusJSON {
	j := statusJSON{
		Name: v.Name, State: string(v.Condition), Restarts: v.Restarts, Error: v.Err,
		Command: v.Command, Log: v.Log, LogError: v.LogError, LostLines: v.LostLines, Status: v.Status,
		Stale: v.Stale, StatusExitCode: v.ExitCode(), SupervisorAlive: v.SupervisorAlive,
	}
	if v.MainAlive {
		j.PID, j.StartedAt = v.PID, v.StartedAt
	}
	if v.SupervisorAlive {
		j.SupervisorPID = v.Supervisor.PID
	}
	for _, id := range v.Leftovers {
		j.Processes = append(j.Processes, id.PID)
	}
	if v.MainAlive {
		j.Ready, j.Adopted, j.Phase, j.Health = v.Ready, v.Adopted, v.Phase, v.Health
		if v.HealthCheck != nil {
			j.HealthCheck = v.HealthCheck
		}
	}
	j.Errno, j.Reloads, j.Retiring, j.InstanceCount = v.Errno, v.Reloads, v.Retiring, v.InstanceCount
	j.Limits, j.LimitNotes, j.LimitHit, j.LimitHitAt = v.Limits, v.LimitNotes, v.LimitHit, v.LimitHitAt
	if v.Next != nil {
		j.Next = v.Next
	}
	if len(v.Instances) > 0 {
		j.Instances = v.Instances
	}
	if v.LastExit != nil {
		j.LastExit = v.LastExit
	}
	return j
}

// pids lists the processes' pids, separated by commas.
func pids(ids []proc.Identity) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id.PID)
	}
	return b.String()
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	os.Stdout.Write(append(b, '\n'))
}

func listCommand() *command {
	return &command{
		name:    "list",
		aliases: []string{"ls"},
		usage:   "[--json]",
		summary: "one line per daemon",
		help:    "List every daemon: name, state, pid, uptime, restarts and command, in aligned\ncolumns; --json prints an array of the status objects of `tend status --json`.",
		run:     runList,
	}
}

func runList(args []string) int {
	fs := flag.NewFlagSet("tend list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return usageError("list: usage: tend list [--json]")
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	names, err := store.List()
	if err != nil {
		return fail(err)
	}
	var views []statusJSON
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tRESTARTS\tCOMMAND")
	}
	for _, name := range names {
		dir, err := store.Dir(name)
		if err != nil {
			continue
		}
		v, err := client.Inspect(dir)
		if errors.Is(err, client.ErrUnknown) {
			continue // a folder without a record: a start that never got far
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "tend: %s: %v\n", name, err)
			continue
		}
		if *asJSON {
			views = append(views, jsonView(v))
			continue
		}
		pid, up := "-", "-"
		if v.MainAlive && v.PID > 0 {
			pid = fmt.Sprint(v.PID)
			if !v.StartedAt.IsZero() {
				up = since(v.StartedAt)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", v.Name, v.Condition, pid, up, v.Restarts, strings.Join(v.Command, " "))
	}
	if *asJSON {
		if views == nil {
			views = []statusJSON{}
		}
		printJSON(views)
		return exitOK
	}
	tw.Flush()
	return exitOK
}
