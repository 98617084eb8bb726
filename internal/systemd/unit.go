// Package systemd renders a tend daemon's definition as systemd units: a
// .service that runs the same command the same way, and a .socket for its
// --listen sockets, for `tend export systemd NAME`.
//
// The units are named after the daemon, escaped where systemd requires
// ([UnitName]: web+api is web\x2bapi.service), and they, their files and
// the units that come after them ([Units.WithAfter]) all use that name.
// Every line of a unit is one line whatever the definition holds: values
// are escaped where systemd unescapes them, quoted in comments, and
// refused, with an error naming the option, where a unit file cannot hold
// them. systemd resolves no host names in a .socket unit: --listen
// localhost:PORT becomes 127.0.0.1:PORT (with a comment), any other host
// name, and port 0, are refused.
package systemd

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
)

// Units is what Render returns. Socket is empty without --listen.
type Units struct {
	// Name is the unit name without suffix: the daemon's name, escaped
	// for systemd by [UnitName]. The files are named Name.service and
	// Name.socket ([Units.ServiceUnit], [Units.SocketUnit]), and the
	// units name each other so.
	Name    string
	Service string // the .service unit
	Socket  string // the .socket unit, or ""
	Timer   string // the .timer unit of a schedule, or ""
	// OnFailure is the unit that --on-failure runs, or "" (hooks.go).
	OnFailure string
}

// unit is the data of the templates, already escaped: each string is one
// line's worth, with no newline.
type unit struct {
	Name, Daemon, Description  string
	SocketDescription          string
	Type, NotifyAccess         string
	ExecStart, WorkingDir      string
	Environment, EnvFiles      []string
	BaseEnvCount               int
	User, Group, UMask         string
	Restart, RestartSec        string
	BackoffMax, BackoffReset   string
	StartLimitBurst            int
	StartLimitInterval         string
	KillSignal, TimeoutStopSec string
	PIDFile, TimeoutStartSec   string
	ExecReload                 string
	SendSIGKILL                string
	ScheduleNote               string
	WatchdogSec                string
	Notes                      []string
	Listen                     []string // ListenStream= values
	FDName                     string
	SocketNotes                []string
	SocketMode                 string // SocketMode=, SocketUser=, SocketGroup=, or ""
	SocketUser, SocketGroup    string
	// A task's (timer.go).
	RemainAfterExit  bool
	TimerDescription string
	TimerLines       []string
}

// The unit templates are parsed when a unit is rendered, not when tend
// starts: tend is also every supervisor, whose start-up they would slow.

const serviceText = `# {{.Name}}.service: exported by tend from its definition of {{.Daemon}}.
[Unit]
Description={{.Description}}
{{- if .Listen}}
Requires={{.Name}}.socket
After={{.Name}}.socket
{{- end}}
StartLimitIntervalSec={{.StartLimitInterval}}
StartLimitBurst={{.StartLimitBurst}}

[Service]
Type={{.Type}}
{{- if .NotifyAccess}}
NotifyAccess={{.NotifyAccess}}
{{- end}}
{{- if .PIDFile}}
PIDFile={{.PIDFile}}
{{- end}}
{{- if .RemainAfterExit}}
RemainAfterExit=yes
{{- end}}
ExecStart={{.ExecStart}}
{{- if .ExecReload}}
ExecReload={{.ExecReload}}
{{- end}}
WorkingDirectory={{.WorkingDir}}
{{- range .Environment}}
Environment={{.}}
{{- end}}
{{- range .EnvFiles}}
EnvironmentFile={{.}}
{{- end}}
{{- if .BaseEnvCount}}
# tend start passed on the {{.BaseEnvCount}} variables of its caller's environment; systemd
# starts from a clean one: add what the command needs as Environment= lines.
{{- end}}
{{- if .User}}
User={{.User}}
{{- end}}
{{- if .Group}}
Group={{.Group}}
{{- end}}
UMask={{.UMask}}
Restart={{.Restart}}
RestartSec={{.RestartSec}}
# tend doubles the delay after each crash up to {{.BackoffMax}} and resets it after {{.BackoffReset}} of
# running; systemd 254 and later can do alike with RestartSteps= and RestartMaxDelaySec=.
KillMode=control-group
KillSignal={{.KillSignal}}
TimeoutStopSec={{.TimeoutStopSec}}
SendSIGKILL={{.SendSIGKILL}}
{{- if .TimeoutStartSec}}
TimeoutStartSec={{.TimeoutStartSec}}
{{- end}}
{{- if .ScheduleNote}}
# {{.ScheduleNote}}
{{- end}}
{{- if .WatchdogSec}}
WatchdogSec={{.WatchdogSec}}
{{- end}}
{{- range .Notes}}
# {{.}}
{{- end}}

[Install]
WantedBy=multi-user.target
`

const socketText = `# {{.Name}}.socket: exported by tend from the --listen sockets of {{.Daemon}}.
[Unit]
Description={{.SocketDescription}}

[Socket]
{{- range .SocketNotes}}
# {{.}}
{{- end}}
{{- range .Listen}}
ListenStream={{.}}
{{- end}}
FileDescriptorName={{.FDName}}
{{- if .SocketMode}}
SocketMode={{.SocketMode}}
{{- end}}
{{- if .SocketUser}}
SocketUser={{.SocketUser}}
{{- end}}
{{- if .SocketGroup}}
SocketGroup={{.SocketGroup}}
{{- end}}
Service={{.Name}}.service

[Install]
WantedBy=sockets.target
`

// Render renders def as units. def must be valid (definition.Definition
// Validate); command is the command line with its program resolved to an
// absolute path, as systemd requires.
//
// The units are named by [UnitName]. Every line of them is one line, and
// reads back as the definition says (see escape.go): what a unit file
// cannot hold, or systemd would read otherwise, is an error that names
// the option and says what to do. A --listen host name other than
// localhost, and port 0, are refused (see listenStream).
func Render(def *definition.Definition, command []string) (Units, error) {
	if len(command) == 0 || !strings.HasPrefix(command[0], "/") {
		return Units{}, fmt.Errorf("systemd: the program must be an absolute path, not %q", strings.Join(command, " "))
	}
	name, err := UnitName(def.Name)
	if err != nil {
		return Units{}, err
	}
	u := unit{
		Name:               name,
		Daemon:             comment(def.Name),
		Description:        description(def.Name + " (exported by tend)"),
		SocketDescription:  description("Sockets of " + def.Name),
		Type:               "exec",
		UMask:              "0022",
		RestartSec:         seconds(orDur(def.BackoffInitial, 100*time.Millisecond)),
		BackoffMax:         orDur(def.BackoffMax, 30*time.Second).String(),
		BackoffReset:       orDur(def.BackoffReset, 10*time.Second).String(),
		StartLimitBurst:    def.StartLimitBurst,
		StartLimitInterval: seconds(orDur(def.StartLimitInterval, 10*time.Second)),
	}
	if u.ExecStart, err = execLine(command); err != nil {
		return Units{}, err
	}
	for _, v := range []struct {
		what string
		in   string
		out  *string
	}{
		{"--dir", orDefault(def.Dir, "/"), &u.WorkingDir},
		{"--user", def.User, &u.User},
		{"--group", def.Group, &u.Group},
	} {
		if *v.out, err = value(v.what, v.in); err != nil {
			return Units{}, err
		}
	}
	if m, err := strconv.ParseUint(orDefault(def.Umask, "022"), 8, 32); err == nil {
		u.UMask = fmt.Sprintf("%04o", m)
	}
	if !def.ClearEnv {
		u.BaseEnvCount = len(def.BaseEnv)
	}
	for _, kv := range def.Env {
		e, err := envAssignment(kv)
		if err != nil {
			return Units{}, err
		}
		u.Environment = append(u.Environment, e)
	}
	for _, f := range def.EnvFiles {
		p, err := value("--env-file", f)
		if err != nil {
			return Units{}, err
		}
		u.EnvFiles = append(u.EnvFiles, p)
	}
	switch def.StartLimitBurst {
	case 0:
		u.StartLimitBurst = 5
	case -1:
		u.StartLimitBurst, u.StartLimitInterval = 0, "0"
	}
	policy, err := definition.ParseRestartPolicy(orDefault(def.Restart, "on-failure"))
	if err != nil {
		return Units{}, err
	}
	u.Restart = map[definition.RestartPolicy]string{definition.OnFailure: "on-failure", definition.Always: "always", definition.Never: "no"}[policy]
	sched, err := def.Schedule()
	if err != nil {
		return Units{}, err
	}
	u.KillSignal = "SIG" + proc.SignalName(sched[0].Signal)
	u.TimeoutStopSec = seconds(sched[0].Wait)
	u.SendSIGKILL = "no"
	switch {
	case len(sched) == 1:
	case len(sched) == 2 && sched[1].Signal == syscall.SIGKILL:
		u.SendSIGKILL = "yes"
	default:
		u.SendSIGKILL = "yes"
		u.ScheduleNote = "tend's stop schedule is " + comment(sched.String()) + "; systemd sends KillSignal=, then SIGKILL after TimeoutStopSec=."
	}
	r := def.Readiness()
	switch r.Kind {
	case definition.ReadyNotify:
		u.Type, u.NotifyAccess = "notify", "all"
	case definition.ReadyExec:
	default:
		u.Notes = append(u.Notes, fmt.Sprintf("tend waits for --ready %s; systemd has no such check: Type=exec is ready once the command runs.", comment(def.Ready)))
	}
	if def.Watchdog > 0 {
		u.WatchdogSec = seconds(def.Watchdog)
		if u.NotifyAccess == "" {
			u.NotifyAccess = "all"
		}
	}
	if def.Health != "" {
		u.Notes = append(u.Notes, fmt.Sprintf("tend probes --health %s every %v; systemd has no health probes (see WatchdogSec=).", comment(def.Health), orDur(def.HealthInterval, definition.DefaultHealthInterval)))
	}
	if def.Log != "" || def.LogMaxSize != 0 || def.LogMaxFiles != 0 || def.LogCompress || def.NoTimestamps {
		u.Notes = append(u.Notes, "tend writes the output to its own log; under systemd it goes to the journal (journalctl -u "+shellWord(name)+").")
	}
	if def.PIDFile != "" && u.Type == "exec" {
		// The command daemonizes itself: systemd follows the process the
		// pidfile names, as tend does.
		if u.PIDFile, err = value("--pidfile", def.PIDFile); err != nil {
			return Units{}, err
		}
		u.Type = "forking"
		// A program built on tend's daemon library stays in the
		// foreground under systemd unless told otherwise, and
		// Type=forking would wait for a fork that never comes (see
		// daemon.ForegroundEnv); other programs ignore the variable.
		if !envSets(def.Env, daemon.ForegroundEnv) {
			u.Environment = append([]string{daemon.ForegroundEnv + "=0"}, u.Environment...)
			u.Notes = append(u.Notes, daemon.ForegroundEnv+"=0 makes a program built on tend's daemon library detach, as Type=forking expects; other programs ignore it.")
		}
	}
	if def.ReloadSignal != "" {
		sig, err := proc.ParseSignal(def.ReloadSignal)
		if err != nil {
			return Units{}, err
		}
		u.ExecReload = "/bin/kill -s " + proc.SignalName(sig) + " $MAINPID"
	}
	if def.ReadyTimeout > 0 {
		u.TimeoutStartSec = seconds(def.ReadyTimeout)
	}
	if def.TTY {
		u.Notes = append(u.Notes, "tend runs the command on a pseudo-terminal (--tty); under systemd it writes to a pipe: "+
			"for line-buffered output set, for Python, Environment=PYTHONUNBUFFERED=1.")
	}
	if rest := notCarried(def); rest != "" {
		u.Notes = append(u.Notes, "tend options with no systemd setting: "+comment(rest)+".")
	}
	if err := u.listen(def); err != nil {
		return Units{}, err
	}
	if err := u.task(def); err != nil {
		return Units{}, err
	}
	out := Units{Name: name}
	var b bytes.Buffer
	if err := template.Must(template.New("service").Parse(serviceText)).Execute(&b, u); err != nil {
		return Units{}, err
	}
	out.Service = b.String()
	if len(u.TimerLines) > 0 {
		b.Reset()
		if err := template.Must(template.New("timer").Parse(timerText)).Execute(&b, u); err != nil {
			return Units{}, err
		}
		out.Timer = b.String()
		out.Service = strings.Replace(out.Service, "[Install]\nWantedBy=multi-user.target\n",
			"# Started by "+name+".timer: enable the timer, not this service.\n", 1)
	}
	if lines, err := limitLines(def); err != nil {
		return Units{}, err
	} else if lines != "" {
		out.Service = strings.Replace(out.Service, "[Service]\n", "[Service]\n"+lines, 1)
	}
	if err := addHooks(def, &out); err != nil {
		return Units{}, err
	}
	if n := def.InstanceCount(); n > 1 {
		if len(u.Listen) > 0 {
			// One .socket unit hands its sockets to one service.
			out.Service = strings.Replace(out.Service, "[Service]\n", fmt.Sprintf("# tend runs %d instances (TEND_INSTANCE=0...%d) under one supervisor, sharing the --listen sockets; "+
				"a systemd .socket unit hands its sockets to one service, so this unit runs one instance. "+
				"For several, export each with a .socket of its own and ReusePort=yes.\n[Service]\n", n, n-1), 1)
		} else {
			// A template: NAME@0 ... NAME@N-1, each told its number.
			out.Name = name + "@"
			out.Service = strings.Replace(out.Service, "# "+name+".service:", "# "+name+"@.service:", 1)
			out.Service = strings.Replace(out.Service, "[Service]\n", fmt.Sprintf("# tend runs %d instances: enable %s@0.service ... %s@%d.service.\n[Service]\nEnvironment=TEND_INSTANCE=%%i\n", n, name, name, n-1), 1)
		}
	}
	if len(u.Listen) > 0 {
		b.Reset()
		if err := template.Must(template.New("socket").Parse(socketText)).Execute(&b, u); err != nil {
			return Units{}, err
		}
		out.Socket = b.String()
	}
	return out, nil
}

// envSets reports whether the KEY=VALUE list env sets key.
func envSets(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// notCarried lists the options set in def that no setting of the units
// carries (those of definition.Options without a Systemd mapping), as
// --flag=value words.
func notCarried(def *definition.Definition) string {
	var out []string
	for _, o := range definition.Options() {
		if o.Systemd != "" {
			continue
		}
		for _, v := range o.Values(def) {
			if o.Kind == definition.Bool {
				out = append(out, "--"+o.Flag)
			} else {
				out = append(out, "--"+o.Flag+"="+shellWord(v))
			}
		}
	}
	return strings.Join(out, " ")
}

// shellWord quotes s for a shell command in a comment when it needs it.
func shellWord(s string) string {
	if strings.ContainsAny(s, `\'"$ `) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orDur(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}

// seconds writes a duration as systemd's time spans read it ("100ms", "10s").
func seconds(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return strconv.FormatInt(d.Microseconds(), 10) + "us"
}

// limitLines maps --limit, --memory-max, --cpu-max and --pids-max to
// systemd's LimitNOFILE= (and its kin), MemoryMax=, CPUQuota= and
// TasksMax=.
func limitLines(def *definition.Definition) (string, error) {
	limits, err := definition.ParseLimits(def.Limits)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, l := range limits {
		v := func(n uint64) string {
			if n == definition.Unlimited {
				return "infinity"
			}
			return strconv.FormatUint(n, 10)
		}
		fmt.Fprintf(&b, "%s=%s:%s\n", l.SystemdDirective(), v(l.Soft), v(l.Hard))
	}
	if def.MemoryMax > 0 {
		fmt.Fprintf(&b, "MemoryMax=%s\n", definition.FormatSize(def.MemoryMax))
	}
	if def.CPUMax != "" {
		fmt.Fprintf(&b, "CPUQuota=%s\n", def.CPUMax)
	}
	if def.PidsMax > 0 {
		fmt.Fprintf(&b, "TasksMax=%d\n", def.PidsMax)
	}
	return b.String(), nil
}
