package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/rawstr"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

func statusCommand() *command {
	return &command{
		name:    "status",
		usage:   "[--json] [NAME]",
		summary: "show a daemon's state, pid, uptime, restarts, last exit, CPU, memory, log",
		help: `Show a daemon's state (running, starting, backing-off, stopping, stopped,
failed, exited; lost when its supervisor is gone but the command still
runs; dead when both are gone without a stop), its pid, uptime, restarts,
last exit, CPU (over a tenth of a second) and memory, command and log;
for a daemon that failed, backs off or exited with a failure, the last
lines it wrote to stderr. Read from its status file: works without the
supervisor. NAME may be a project's daemon's short name (see: tend help up).
Without NAME, as supervisorctl status and pm2 status: every daemon, as
tend list shows them.

Exit status (LSB): 0 running (or starting, stopping, restarting); 1 failed,
backing off after a crash, exited with a failure, dead or lost; 3 stopped
or exited with status 0; 4 no daemon of that name.`,
		flags: func() *flagSet {
			var o struct{ json bool }
			return statusFlags(&o.json)
		},
		complete: "daemons",
		run:      runStatus,
	}
}

func statusFlags(asJSON *bool) *flagSet {
	fs := newFlagSet("status")
	fs.boolean(asJSON, "json", 0, "print the status as JSON")
	return fs
}

func runStatus(args []string) int {
	var asJSON bool
	p, code, done := parseArgs(statusCommand(), statusFlags(&asJSON), args)
	if done {
		return code
	}
	switch len(p.args) {
	case 0: // as supervisorctl status and pm2 status: every daemon
		if asJSON {
			return runList([]string{"--json"})
		}
		return runList(nil)
	case 1:
	default:
		return fail(usageErr("status", "give one name: tend status [--json] NAME (or none, for every daemon)"))
	}
	dir, err := daemonDir(p.args[0])
	if err != nil {
		return fail(err)
	}
	v, err := client.Inspect(dir)
	if err != nil {
		return fail(err)
	}
	info := describe(dir, v, measureUsage([]*client.View{v})[0])
	if asJSON {
		printJSON(info.json())
		return v.ExitCode()
	}
	info.print(os.Stdout)
	return v.ExitCode()
}

// daemonInfo is what status and list show of a daemon.
type daemonInfo struct {
	view   *client.View
	def    *definition.Definition // nil if it has none stored
	usage  usage
	stderr []string // its last lines of stderr, when it ended badly
}

func describe(dir state.Dir, v *client.View, u usage) *daemonInfo {
	info := &daemonInfo{view: v, usage: u}
	if def, err := client.LoadDefinition(dir); err == nil {
		info.def = storedDefinition(def)
	}
	if endedBadly(v) {
		info.stderr = lastStderr(v.Log, 20, v.StartedAt)
	}
	return info
}

// endedBadly says whether the daemon's last incarnation ended in a way
// its last lines of stderr may explain.
func endedBadly(v *client.View) bool {
	switch v.Condition {
	case client.Condition(status.Failed), client.Condition(status.BackingOff), client.Dead:
		return true
	case client.Condition(status.Exited):
		return v.LastExit != nil && v.LastExit.Code != 0
	}
	return false
}

func (info *daemonInfo) print(w io.Writer) {
	v := info.view
	fmt.Fprintf(w, "%s: %s\n", v.Name, describeCondition(v))
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
	if def := info.def; def != nil && def.Project != "" {
		row("project", "%s (%s)", def.Project, def.Source)
	}
	if len(v.Leftovers) > 0 {
		row("processes", "%s (running without a supervisor)", pids(v.Leftovers))
	}
	if v.SupervisorAlive {
		how := "the host"
		if def := info.def; def != nil && def.Isolated {
			how = "a process of its own: --isolated"
		} else if v.Elsewhere {
			how = "a process of its own"
		}
		row("supervisor", "pid %d (%s)", v.Supervisor.PID, how)
	}
	row("restarts", "%d", v.Restarts)
	taskRows(info.def, &v.Record, row)
	if v.LastExit != nil {
		row("last exit", "%s (%s ago)", v.LastExit.Description, since(v.LastExit.At))
	}
	if !v.NextStart.IsZero() && v.Condition == client.Condition(status.BackingOff) {
		row("next start", "in %s", time.Until(v.NextStart).Round(time.Millisecond))
	}
	if v.Err != "" {
		row("error", "%s", v.Err)
	}
	if hint := notifyHint(info.def, v); hint != "" {
		row("note", "%s", hint)
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
		// How the limits are enforced, under them.
		fmt.Fprintf(tw, "  \t%s\n", n)
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
	hookRows(v, row)
	if u := info.usage; u.known {
		row("cpu", "%s", u.cpuText())
		mem := u.memText() + " resident"
		if u.pssOK {
			mem += ", " + u.pssText() + " proportional (PSS)"
		}
		if u.procs > 1 {
			mem += fmt.Sprintf(", %d processes", u.procs)
		}
		row("memory", "%s", mem)
	}
	row("command", "%s", commandText(v.Command))
	if def := info.def; def != nil && def.Dir != "" {
		row("dir", "%s", def.Dir)
	}
	if v.Log != "" {
		row("log", "%s", v.Log)
	}
	if v.LogError != "" {
		row("log error", "%s", userMessage(errors.New(v.LogError)))
	}
	if v.LostLines > 0 {
		row("lost lines", "%d (the log could not be written)", v.LostLines)
	}
	tw.Flush()
	if len(info.stderr) > 0 {
		fmt.Fprintf(w, "  last lines of stderr:\n")
		for _, l := range info.stderr {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
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
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// statusJSON is the --json form of a daemon's status, stable for scripts.
type statusJSON struct {
	Name            string         `json:"name"`
	State           string         `json:"state"`
	PID             int            `json:"pid,omitzero"`
	SupervisorPID   int            `json:"supervisor_pid,omitzero"`
	StartedAt       time.Time      `json:"started_at,omitzero"`
	Restarts        int            `json:"restarts"`
	LastExit        any            `json:"last_exit,omitzero"`
	Error           string         `json:"error,omitzero"`
	Command         rawstr.Strings `json:"command"`
	TTY             bool           `json:"tty,omitzero"`
	Dir             rawstr.String  `json:"dir,omitzero"`
	Project         string         `json:"project,omitzero"`
	Source          string         `json:"source,omitzero"`
	Log             string         `json:"log,omitzero"`
	LogError        string         `json:"log_error,omitzero"`
	LostLines       int64          `json:"lost_lines,omitzero"`
	LastStderr      []string       `json:"last_stderr,omitzero"`
	CPUPercent      *float64       `json:"cpu_percent,omitzero"`
	RSSBytes        int64          `json:"rss_bytes,omitzero"`
	PSSBytes        int64          `json:"pss_bytes,omitzero"`
	Status          string         `json:"status,omitzero"`
	Stale           bool           `json:"stale,omitzero"`
	Ready           bool           `json:"ready,omitzero"`
	Adopted         string         `json:"adopted,omitzero"`
	Processes       []int          `json:"processes,omitzero"`
	Phase           string         `json:"phase,omitzero"`
	Errno           int            `json:"errno,omitzero"`
	Health          string         `json:"health,omitzero"`
	HealthCheck     any            `json:"health_check,omitzero"`
	Reloads         int            `json:"reloads,omitzero"`
	Limits          []string       `json:"limits,omitzero"`
	LimitNotes      []string       `json:"limit_notes,omitzero"`
	LimitHit        string         `json:"limit_hit,omitzero"`
	LimitHitAt      time.Time      `json:"limit_hit_at,omitzero"`
	Next            any            `json:"next,omitzero"`
	Retiring        []int          `json:"retiring,omitzero"`
	InstanceCount   int            `json:"instance_count,omitzero"`
	Instances       any            `json:"instances,omitzero"`
	Hook            any            `json:"hook,omitzero"`
	WatchError      string         `json:"watch_error,omitzero"`
	StatusExitCode  int            `json:"status_exit_code"`
	SupervisorAlive bool           `json:"supervisor_alive"`
	// Of a task (--oneshot, --every, --schedule).
	Runs    int       `json:"runs,omitzero"`
	Skipped int       `json:"skipped,omitzero"`
	LastRun time.Time `json:"last_run,omitzero"`
	NextRun time.Time `json:"next_run,omitzero"`
}

func (info *daemonInfo) json() statusJSON {
	v := info.view
	j := statusJSON{
		Name: v.Name, State: string(v.Condition), Restarts: v.Restarts, Error: v.Err,
		Command: userCommand(v.Command), TTY: ttyWrapped(v.Command), Log: v.Log, LogError: v.LogError,
		LostLines: v.LostLines, Status: v.Status, LastStderr: info.stderr,
		Stale: v.Stale, StatusExitCode: v.ExitCode(), SupervisorAlive: v.SupervisorAlive,
	}
	if def := info.def; def != nil {
		j.Dir, j.Project, j.Source = rawstr.String(def.Dir), def.Project, def.Source
	}
	if u := info.usage; u.known {
		cpu := u.cpu
		j.CPUPercent, j.RSSBytes = &cpu, u.rss
		if u.pssOK {
			j.PSSBytes = u.pss
		}
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
	j.Runs, j.Skipped, j.LastRun, j.NextRun = v.Runs, v.Skipped, v.LastRun, v.NextRun
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
	if v.Hook != nil {
		j.Hook = v.Hook
	}
	j.WatchError = v.WatchError
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
