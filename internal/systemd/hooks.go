package systemd

import (
	"fmt"
	"strings"

	"github.com/tendhq/tend/internal/definition"
)

// The hooks: --on-exit is ExecStopPost=, which systemd runs after every
// stop of the service, a crash before a restart included; --on-failure is
// OnFailure= naming a unit of its own, NAME-on-failure.service, a oneshot
// that runs the hook, which systemd starts when the service fails for
// good. systemd gives the hooks its own variables (ExecStopPost=:
// $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS; an OnFailure= unit, since
// systemd 251: $MONITOR_SERVICE_RESULT, $MONITOR_EXIT_CODE,
// $MONITOR_EXIT_STATUS), not tend's TEND_*, as the units say in a
// comment.

// OnFailureUnit returns the name of the unit that --on-failure runs, which
// is also the name of its file, or "" when there is none.
func (u Units) OnFailureUnit() string {
	if u.OnFailure == "" {
		return ""
	}
	return onFailureName(u.Name)
}

func onFailureName(name string) string { return strings.TrimSuffix(name, "@") + "-on-failure.service" }

const onFailureText = `# {{.Unit}}: exported by tend from the --on-failure hook of {{.Daemon}}.
# systemd starts it when {{.Service}} fails for good (its OnFailure=); the hook finds
# $MONITOR_SERVICE_RESULT, $MONITOR_EXIT_CODE and $MONITOR_EXIT_STATUS (systemd 251 and later)
# rather than tend's TEND_EXIT_STATUS and kin.
[Unit]
Description={{.Description}}

[Service]
Type=oneshot
Environment=TEND_NAME={{.Name}}
ExecStart={{.Exec}}
TimeoutStartSec={{.Timeout}}
`

// addHooks adds the hooks of def to out: ExecStopPost= and OnFailure= in
// the service, and the unit that OnFailure= names.
func addHooks(def *definition.Definition, out *Units) error {
	if def.OnExit == "" && def.OnFailure == "" {
		return nil
	}
	timeout := seconds(def.HookTimeoutOrDefault())
	var service []string
	if def.OnExit != "" {
		line, err := execLine([]string{"/bin/sh", "-c", def.OnExit})
		if err != nil {
			return fmt.Errorf("systemd: --on-exit: %w", err)
		}
		service = append(service, "# --on-exit: systemd runs ExecStopPost= after every stop, with $SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS",
			"# rather than tend's TEND_EXIT_STATUS and kin; it is bounded by TimeoutStopSec=, not --hook-timeout="+timeout+".",
			"ExecStopPost="+line)
	}
	if len(service) > 0 {
		out.Service = strings.Replace(out.Service, "[Service]\n", "[Service]\n"+strings.Join(service, "\n")+"\n", 1)
	}
	if def.OnFailure == "" {
		return nil
	}
	line, err := execLine([]string{"/bin/sh", "-c", def.OnFailure})
	if err != nil {
		return fmt.Errorf("systemd: --on-failure: %w", err)
	}
	unit := onFailureName(out.Name)
	out.Service = strings.Replace(out.Service, "[Unit]\n", "[Unit]\nOnFailure="+unit+"\n", 1)
	text := onFailureText
	for _, r := range []struct{ key, v string }{
		{"{{.Unit}}", unit}, {"{{.Daemon}}", comment(def.Name)}, {"{{.Service}}", out.ServiceUnit()},
		{"{{.Description}}", description("The --on-failure hook of " + def.Name)},
		{"{{.Name}}", strings.ReplaceAll(def.Name, "%", "%%")}, {"{{.Exec}}", line}, {"{{.Timeout}}", timeout},
	} {
		text = strings.ReplaceAll(text, r.key, r.v)
	}
	out.OnFailure = text
	return nil
}
