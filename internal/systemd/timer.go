package systemd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tendhq/tend/internal/cron"
	"github.com/tendhq/tend/internal/definition"
)

// Tasks as systemd runs them: a one-shot is a Type=oneshot service that
// stays active once it has completed (RemainAfterExit=yes), so that
// units after it start once it has; a schedule is a Type=oneshot service
// started by a .timer unit beside it (the timer is what is enabled).

const timerText = `# {{.Name}}.timer: exported by tend from the schedule of {{.Daemon}}; enable this unit, not the service.
[Unit]
Description={{.TimerDescription}}

[Timer]
{{- range .TimerLines}}
{{.}}
{{- end}}
AccuracySec=1s
Unit={{.Name}}.service

[Install]
WantedBy=timers.target
`

// task sets a task's service up, and the lines of its timer.
func (u *unit) task(def *definition.Definition) error {
	if !def.Task() {
		return nil
	}
	u.Type = "oneshot"
	if !def.Scheduled() {
		u.RemainAfterExit = true
		return nil
	}
	u.TimerDescription = description("Schedule of " + def.Name)
	if def.Every > 0 {
		first := seconds(def.Every)
		if def.RunOnStart {
			first = "0"
		}
		u.TimerLines = []string{"OnActiveSec=" + first, "OnUnitActiveSec=" + seconds(def.Every)}
		return nil
	}
	l, err := cron.Parse(def.Cron)
	if err != nil {
		return err
	}
	zone := ""
	if def.Timezone != "" {
		if zone, err = value("--timezone", def.Timezone); err != nil {
			return err
		}
		zone = " " + zone
	}
	u.TimerLines = append(u.TimerLines, "# tend's --schedule "+comment(def.Cron)+", as calendar events:")
	for _, c := range calendars(l) {
		u.TimerLines = append(u.TimerLines, "OnCalendar="+c+zone)
	}
	if def.RunOnStart {
		u.TimerLines = append(u.TimerLines, "OnActiveSec=0")
	}
	return nil
}

// calendars writes a cron line as systemd calendar events: one, or two
// when both day fields are restricted (cron runs on a day that either
// names, and systemd's fields all must match).
func calendars(l *cron.Line) []string {
	list := func(field int) string {
		vs := l.Values(field)
		if vs == nil {
			return "*"
		}
		s := make([]string, len(vs))
		for i, v := range vs {
			s[i] = strconv.Itoa(v)
		}
		return strings.Join(s, ",")
	}
	days := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	weekdays := func() string {
		var s []string
		for _, v := range l.Values(cron.DayOfWeek) {
			s = append(s, days[v])
		}
		return strings.Join(s, ",") + " "
	}
	event := func(dow, dom string) string {
		return fmt.Sprintf("%s*-%s-%s %s:%s:00", dow, list(cron.Month), dom, list(cron.Hour), list(cron.Minute))
	}
	dow, dom := l.Values(cron.DayOfWeek), l.Values(cron.DayOfMonth)
	switch {
	case dow == nil:
		return []string{event("", list(cron.DayOfMonth))}
	case dom == nil || l.Star(cron.DayOfMonth):
		return []string{event(weekdays(), "*")}
	}
	return []string{event("", list(cron.DayOfMonth)), event(weekdays(), "*")}
}
