package top

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/status"
)

// The table: one row per daemon, and one per instance under a daemon of
// several; the columns that fit the terminal's width.

// column is one column of the table.
type column struct {
	head, short string // its header, and a shorter one for narrow terminals
	right       bool   // aligned right (numbers)
	// drop orders what goes when the table does not fit: the highest
	// first; 0 never goes.
	drop int
}

var columns = []column{
	{head: "NAME"},
	{head: "STATE"},
	{head: "PID", right: true, drop: 3},
	{head: "UPTIME", short: "UP", right: true, drop: 5},
	{head: "RESTARTS", short: "RST", right: true},
	{head: "LAST EXIT", short: "EXIT", drop: 4},
	{head: "CPU", right: true, drop: 2},
	{head: "MEM", right: true, drop: 2},
	{head: "READY", drop: 6},
	{head: "PROJECT", drop: 7},
}

// Columns by index.
const (
	colName = iota
	colState
	colPID
	colUptime
	colRestarts
	colExit
	colCPU
	colMem
	colReady
	colProject
)

// row is a line of the table: a daemon's (name is the daemon's) or one
// of its instances'.
type row struct {
	name     string
	instance bool
	cells    [colProject + 1]string
	state    string // for its color
	code     int
}

// rows returns the table's lines for the daemons of names.
func (m *Model) rows(names []string) []row {
	var out []row
	for _, name := range names {
		d := m.daemons[name]
		v := d.view
		r := row{name: name, state: string(v.Condition), code: v.ExitCode()}
		r.cells[colName] = name
		r.cells[colState] = string(v.Condition)
		r.cells[colPID], r.cells[colUptime] = "-", "-"
		if v.MainAlive && v.PID > 0 {
			r.cells[colPID] = strconv.Itoa(v.PID)
			r.cells[colUptime] = age(m.now, v.StartedAt)
		}
		r.cells[colRestarts] = strconv.Itoa(v.Restarts)
		r.cells[colExit] = v.LastExit.Short()
		r.cells[colCPU], r.cells[colMem] = "-", "-"
		if u, ok := m.usage[name]; ok {
			if u.CPUKnown {
				r.cells[colCPU] = percent(u.CPU)
			}
			if u.Memory > 0 {
				r.cells[colMem] = bytesText(u.Memory)
			}
		}
		r.cells[colReady] = readiness(v)
		r.cells[colProject] = d.project
		if r.cells[colProject] == "" {
			r.cells[colProject] = "-"
		}
		out = append(out, r)
		if len(v.Instances) > 1 && v.SupervisorAlive {
			for _, in := range v.Instances {
				out = append(out, instanceRow(m.now, name, in))
			}
		}
	}
	return out
}

// instanceRow is the line of one instance of a daemon: " #N", its state,
// pid, uptime, restarts and last exit.
func instanceRow(now time.Time, name string, in status.Instance) row {
	r := row{name: name, instance: true, state: string(in.State)}
	r.cells[colName] = " #" + strconv.Itoa(in.Index)
	r.cells[colState] = string(in.State)
	r.cells[colPID], r.cells[colUptime] = "-", "-"
	if in.PID > 0 {
		r.cells[colPID] = strconv.Itoa(in.PID)
		r.cells[colUptime] = age(now, in.StartedAt)
	}
	r.cells[colRestarts] = strconv.Itoa(in.Restarts)
	r.cells[colExit] = in.LastExit.Short()
	if in.Ready {
		r.cells[colReady] = "yes"
	}
	return r
}

// layout is the columns shown and their widths.
type layout struct {
	cols   []int // indexes into columns
	widths []int
	short  bool // short headers
	gap    int
}

// fit chooses the columns and widths of rows for a terminal width wide:
// every column with its full header and two spaces between when they
// fit; else short headers; else one space between; else without the
// columns that go first (see column.drop), and the names cut last.
func fit(rows []row, wide int, projects bool) layout {
	natural := func(c int, short bool) int {
		h := columns[c].head
		if short && columns[c].short != "" {
			h = columns[c].short
		}
		w := ansi.StringWidth(h)
		for _, r := range rows {
			w = max(w, ansi.StringWidth(r.cells[c]))
		}
		return w
	}
	var cols []int
	for c := range columns {
		if c != colProject || projects {
			cols = append(cols, c)
		}
	}
	total := func(l layout) int {
		t := 2 // the selection's mark and a space
		for i, w := range l.widths {
			t += w
			if i > 0 {
				t += l.gap
			}
		}
		return t
	}
	build := func(cols []int, short bool, gap int) layout {
		l := layout{cols: cols, short: short, gap: gap}
		for _, c := range cols {
			l.widths = append(l.widths, natural(c, short))
		}
		return l
	}
	if l := build(cols, false, 2); total(l) <= wide {
		return l
	}
	if l := build(cols, true, 2); total(l) <= wide {
		return l
	}
	l := build(cols, true, 1)
	for total(l) > wide {
		worst, at := 0, -1
		for i, c := range l.cols {
			if columns[c].drop > worst {
				worst, at = columns[c].drop, i
			}
		}
		if at < 0 {
			break
		}
		l.cols = append(l.cols[:at:at], l.cols[at+1:]...)
		l.widths = append(l.widths[:at:at], l.widths[at+1:]...)
	}
	if over := total(l) - wide; over > 0 {
		l.widths[0] = max(4, l.widths[0]-over) // the names, cut
	}
	return l
}

// header is the table's header line.
func (l layout) header() string {
	cells := make([]string, len(l.cols))
	for i, c := range l.cols {
		cells[i] = columns[c].head
		if l.short && columns[c].short != "" {
			cells[i] = columns[c].short
		}
	}
	return "  " + l.join(cells, nil)
}

// line is a row as text, its state colored by color (nil: none).
func (l layout) line(r row, color func(string, string, int) string) string {
	cells := make([]string, len(l.cols))
	for i, c := range l.cols {
		cells[i] = r.cells[c]
	}
	var paint func(i int, s string) string
	if color != nil {
		paint = func(i int, s string) string {
			if l.cols[i] == colState {
				return color(s, r.state, r.code)
			}
			return s
		}
	}
	return l.join(cells, paint)
}

// join pads and joins cells; paint, when not nil, styles each padded
// cell.
func (l layout) join(cells []string, paint func(int, string) string) string {
	var b strings.Builder
	for i, s := range cells {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", l.gap))
		}
		w := l.widths[i]
		if ansi.StringWidth(s) > w {
			s = ansi.Truncate(s, w, "…")
		}
		pad := strings.Repeat(" ", w-ansi.StringWidth(s))
		if columns[l.cols[i]].right {
			s = pad + s
		} else if i < len(cells)-1 {
			s += pad
		}
		if paint != nil {
			s = paint(i, s)
		}
		b.WriteString(s)
	}
	return b.String()
}

// stateStyle colors a state as tend list does: green when running,
// cyan on its way, yellow backing off, red when something is wrong, dim
// when stopped.
func stateStyle(text, state string, code int) string {
	s := lipgloss.NewStyle()
	switch state {
	case "running":
		s = s.Foreground(lipgloss.Green)
	case "starting", "stopping", "restarting", "reloading":
		s = s.Foreground(lipgloss.Cyan)
	case "backing-off":
		s = s.Foreground(lipgloss.Yellow)
	case "failed", "dead", "lost":
		s = s.Foreground(lipgloss.Red).Bold(true)
	case "exited":
		if code != 0 {
			s = s.Foreground(lipgloss.Red)
		} else {
			s = s.Faint(true)
		}
	default:
		s = s.Faint(true)
	}
	return s.Render(text)
}

// readiness is what the daemon's --ready and --health say: healthy,
// unhealthy, yes (ready), no (not ready yet), or - (it does not run).
func readiness(v *api.View) string {
	if !runs(v) || v.Condition == api.Lost {
		return "-"
	}
	if v.Health != "" {
		h, _, _ := strings.Cut(v.Health, " ")
		return h
	}
	if v.Ready {
		return "yes"
	}
	return "no"
}

// age is how long ago t was, in a few characters: 45s, 12m05s, 3h12m,
// 4d2h.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// percent is a CPU figure: 0%, 3.5%, 42%.
func percent(p float64) string {
	switch {
	case p < 0.05:
		return "0%"
	case p < 10:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// bytesText is a size as ps and top write it: 1.5M, 812K.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%.0fM", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
