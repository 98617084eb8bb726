// Package systemd renders a tend daemon's definition as systemd units: a
// .service that runs the same command the same way, and a .socket for its
// --listen sockets, for `tend export systemd NAME`.
package systemd

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
)

// Units is what Render returns. Socket is empty without --listen.
type Units struct {
	Name    string // the unit name without suffix
	Service string // the .service unit
	Socket  string // the .socket unit, or ""
}

// unit is the data of the templates, already escaped.
type unit struct {
	Name, Description          string
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
	SendSIGKILL                string
	ScheduleNote               string
	WatchdogSec                string
	Notes                      []string
	Listen                     []definition.ListenSocket
}

var serviceTmpl = template.Must(template.New("service").Parse(`# {{.Name}}.service: exported by tend from its definition of {{.Name}}.
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
ExecStart={{.ExecStart}}
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
`))

var socketTmpl = template.Must(template.New("socket").Parse(`# {{.Name}}.socket: exported by tend from the --listen sockets of {{.Name}}.
[Unit]
Description=Sockets of {{.Name}}

[Socket]
{{- range .Listen}}
ListenStream={{.Address}}
{{- end}}
{{- with index .Listen 0}}
FileDescriptorName={{.Name}}
{{- end}}
Service={{.Name}}.service

[Install]
WantedBy=sockets.target
`))

// Render renders def as units. def must be valid (definition.Definition
// Validate); command is the command line with its program resolved to an
// absolute path, as systemd requires.
func Render(def *definition.Definition, command []string) (Units, error) {
	if len(command) == 0 || !strings.HasPrefix(command[0], "/") {
		return Units{}, fmt.Errorf("systemd: the program must be an absolute path, not %q", strings.Join(command, " "))
	}
	u := unit{
		Name:               def.Name,
		Description:        escapeValue(def.Name + " (exported by tend)"),
		Type:               "exec",
		ExecStart:          execLine(command),
		WorkingDir:         escapePath(orDefault(def.Dir, "/")),
		User:               escapeValue(def.User),
		Group:              escapeValue(def.Group),
		UMask:              "0022",
		RestartSec:         seconds(orDur(def.BackoffInitial, 100*time.Millisecond)),
		BackoffMax:         orDur(def.BackoffMax, 30*time.Second).String(),
		BackoffReset:       orDur(def.BackoffReset, 10*time.Second).String(),
		StartLimitBurst:    def.StartLimitBurst,
		StartLimitInterval: seconds(orDur(def.StartLimitInterval, 10*time.Second)),
	}
	if m, err := strconv.ParseUint(orDefault(def.Umask, "022"), 8, 32); err == nil {
		u.UMask = fmt.Sprintf("%04o", m)
	}
	if !def.ClearEnv {
		u.BaseEnvCount = len(def.BaseEnv)
	}
	for _, kv := range def.Env {
		u.Environment = append(u.Environment, quote(kv))
	}
	for _, f := range def.EnvFiles {
		u.EnvFiles = append(u.EnvFiles, escapePath(f))
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
		u.ScheduleNote = "tend's stop schedule is " + sched.String() + "; systemd sends KillSignal=, then SIGKILL after TimeoutStopSec=."
	}
	r := def.Readiness()
	switch r.Kind {
	case definition.ReadyNotify:
		u.Type, u.NotifyAccess = "notify", "all"
	case definition.ReadyExec:
	default:
		u.Notes = append(u.Notes, fmt.Sprintf("tend waits for --ready %s; systemd has no such check: Type=exec is ready once the command runs.", def.Ready))
	}
	if def.Watchdog > 0 {
		u.WatchdogSec = seconds(def.Watchdog)
		if u.NotifyAccess == "" {
			u.NotifyAccess = "all"
		}
	}
	if def.Health != "" {
		u.Notes = append(u.Notes, fmt.Sprintf("tend probes --health %s every %v; systemd has no health probes (see WatchdogSec=).", def.Health, orDur(def.HealthInterval, definition.DefaultHealthInterval)))
	}
	if def.Log != "" || def.LogMaxSize != 0 || def.LogMaxFiles != 0 {
		u.Notes = append(u.Notes, "tend writes the output to its own log; under systemd it goes to the journal (journalctl -u "+def.Name+").")
	}
	if u.Listen, err = def.ListenSockets(); err != nil {
		return Units{}, err
	}
	for _, l := range u.Listen {
		if l.Name != u.Listen[0].Name {
			u.Notes = append(u.Notes, "systemd names all the sockets of one .socket unit alike; tend's --listen names differ: split the socket unit to keep them.")
			break
		}
	}
	var out Units
	out.Name = def.Name
	var b bytes.Buffer
	if err := serviceTmpl.Execute(&b, u); err != nil {
		return Units{}, err
	}
	out.Service = b.String()
	if len(u.Listen) > 0 {
		b.Reset()
		if err := socketTmpl.Execute(&b, u); err != nil {
			return Units{}, err
		}
		out.Socket = b.String()
	}
	return out, nil
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

// execLine writes a command line as ExecStart= reads it: each word quoted
// when it must be, with specifiers (%) and variable expansion ($)
// escaped.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, "$", "$$")
		if a == ";" {
			words[i] = `\;`
			continue
		}
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\;") || hasControl(a) {
			words[i] = quote(a)
		} else {
			words[i] = strings.ReplaceAll(a, "%", "%%")
		}
	}
	return strings.Join(words, " ")
}

// quote writes s in double quotes with C-style escapes and % doubled.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '%':
			b.WriteString("%%")
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// escapeValue makes s safe as a plain value: specifiers escaped, one line.
func escapeValue(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// escapePath is escapeValue for paths.
func escapePath(s string) string { return escapeValue(s) }
