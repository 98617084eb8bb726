package top

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/status"
)

// The screen, from top to bottom: a header line, the table (its header,
// its rows), the log pane (its title, its lines), a status line, and the
// keys. At 24 lines and 3 daemons, the log has 16 lines; with many
// daemons, the table takes two thirds at most.

// Lines of the screen that are not the table's rows or the log's.
const (
	chromeLines     = 5 // header, table header, log title, status line, keys
	fullChromeLines = 4 // header, log title, status line, keys
)

// flashFor is how long a message stays in the status line.
const flashFor = 10 * time.Second

var (
	faint    = lipgloss.NewStyle().Faint(true)
	bold     = lipgloss.NewStyle().Bold(true)
	reverse  = lipgloss.NewStyle().Reverse(true)
	red      = lipgloss.NewStyle().Foreground(lipgloss.Red)
	keyStyle = lipgloss.NewStyle().Bold(true)
)

// View draws the screen.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	if m.quitting {
		return v
	}
	v.SetContent(m.render())
	return v
}

// render is the screen's text: exactly its height in lines, none wider
// than it.
func (m *Model) render() string {
	lines := []string{m.header()}
	switch {
	case m.mode == modeHelp:
		lines = append(lines, m.help()...)
	case m.log.full:
		lines = append(lines, m.logTitle())
		lines = append(lines, m.logLines(m.logHeight())...)
	default:
		lines = append(lines, m.table()...)
		lines = append(lines, m.logTitle())
		lines = append(lines, m.logLines(m.logHeight())...)
	}
	body := max(0, m.height-2)
	for len(lines) < body {
		lines = append(lines, "")
	}
	lines = append(lines[:min(len(lines), body)], m.statusLine(), m.keys())
	lines = lines[max(0, len(lines)-m.height):]
	for i, l := range lines {
		if ansi.StringWidth(l) > m.width {
			lines[i] = ansi.Truncate(l, m.width, "")
		}
	}
	return strings.Join(lines, "\n")
}

// header is the first line: what the view shows, and how many daemons
// are in which state.
func (m *Model) header() string {
	left := "tend top"
	if m.cfg.Where != "" {
		left += " · " + m.cfg.Where
	}
	if m.cfg.Project != "" {
		left += " · project " + m.cfg.Project
	}
	var right string
	switch {
	case !m.synced && len(m.daemons) == 0:
		right = "connecting..."
	default:
		right = m.counts()
	}
	if m.filter != "" {
		right += " · filter: " + m.filter
	}
	return m.style(bold, left) + "  " + right
}

// counts says how many daemons there are, and in which states.
func (m *Model) counts() string {
	by := map[string]int{}
	for _, d := range m.daemons {
		by[string(d.view.Condition)]++
	}
	order := []string{string(status.Running), string(status.Starting), string(status.Reloading), string(status.Restarting),
		string(status.BackingOff), string(status.Stopping), string(status.Failed), string(api.Lost), string(api.Dead),
		string(status.Scheduled), string(status.Completed), string(status.Exited), string(status.Stopped)}
	var parts []string
	for _, s := range order {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], s))
		}
	}
	n := len(m.daemons)
	text := fmt.Sprintf("%d daemons", n)
	if n == 1 {
		text = "1 daemon"
	}
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	return text
}

// rowCount is how many lines the table's rows take.
func (m *Model) rowCount(names []string) int {
	n := 0
	for _, name := range names {
		n++
		if v := m.daemons[name].view; len(v.Instances) > 1 && v.SupervisorAlive {
			n += len(v.Instances)
		}
	}
	return n
}

// tableHeight is how many of the table's rows show.
func (m *Model) tableHeight() int {
	if m.log.full {
		return 0
	}
	avail := m.height - chromeLines
	if avail < 2 {
		return max(avail, 0)
	}
	rows := max(1, m.rowCount(m.visible()))
	return min(rows, avail-avail/3)
}

// logHeight is how many of the log's lines show.
func (m *Model) logHeight() int {
	if m.log.full {
		return max(0, m.height-fullChromeLines)
	}
	return max(0, m.height-chromeLines-m.tableHeight())
}

// scrollToSelected scrolls the table so that the selected daemon's row
// shows.
func (m *Model) scrollToSelected() {
	names := m.visible()
	at := 0
	for _, name := range names {
		if name == m.selected {
			break
		}
		at++
		if v := m.daemons[name].view; len(v.Instances) > 1 && v.SupervisorAlive {
			at += len(v.Instances)
		}
	}
	h := max(1, m.tableHeight())
	total := m.rowCount(names)
	switch {
	case at < m.top:
		m.top = at
	case at >= m.top+h:
		m.top = at - h + 1
	}
	m.top = max(0, min(m.top, total-h))
}

// table is the table's header and the rows that show.
func (m *Model) table() []string {
	names := m.visible()
	h := m.tableHeight()
	if len(names) == 0 {
		msg := "no daemons (start one: tend start NAME -- COMMAND, or tend up)"
		switch {
		case !m.synced && m.retries > 0:
			msg = "connecting to the host: " + m.conn + "; trying again..."
		case !m.synced:
			msg = "connecting to the host..."
		case m.filter != "":
			msg = fmt.Sprintf("no daemon matches %q (Esc clears the filter)", m.filter)
		}
		return append([]string{""}, padLines([]string{"  " + msg}, h)...)
	}
	rows := m.rows(names)
	projects := slices.ContainsFunc(rows, func(r row) bool { return r.cells[colProject] != "-" && !r.instance })
	l := fit(rows, m.width, projects)
	out := []string{m.style(bold, l.header())}
	end := min(len(rows), m.top+h)
	for _, r := range rows[m.top:end] {
		selected := !r.instance && r.name == m.selected
		mark := "  "
		if selected {
			mark = "> "
		}
		if selected {
			line := mark + l.line(r, nil)
			line += strings.Repeat(" ", max(0, m.width-ansi.StringWidth(line)))
			out = append(out, m.style(reverse, line))
			continue
		}
		var color func(string, string, int) string
		if m.cfg.Color {
			color = stateStyle
		}
		out = append(out, mark+l.line(r, color))
	}
	return padLines(out, h+1)
}

// logTitle is the line above the log: whose log, and whether it follows.
func (m *Model) logTitle() string {
	title := "─ log"
	if m.log.name != "" {
		title += " of " + m.log.name
	}
	switch {
	case m.log.name == "":
	case m.log.follow:
		title += " (following; f: stop and scroll)"
	default:
		title += fmt.Sprintf(" (%d newer lines below; f: follow)", m.log.back)
	}
	title += " "
	return m.style(faint, title+strings.Repeat("─", max(0, m.width-ansi.StringWidth(title))))
}

// logLines are the log's last lines (or, when it does not follow, those
// above the ones scrolled past), in a pane of height lines.
func (m *Model) logLines(height int) []string {
	if height <= 0 {
		return nil
	}
	var out []string
	for _, l := range m.log.window(height) {
		text, stderr, marker := logText(l)
		switch {
		case marker:
			text = m.style(faint, text)
		case stderr && m.cfg.Color:
			text = m.style(red, text)
		}
		out = append(out, text)
	}
	switch {
	case m.log.ended && m.log.endErr != nil:
		out = append(out, m.style(red, "the log cannot be followed: "+api.Message(m.log.endErr)))
	case m.log.ended:
		out = append(out, m.style(faint, "(the log's stream ended)"))
	case len(m.log.lines) == 0 && m.log.name != "":
		out = append(out, m.style(faint, "(no lines yet)"))
	}
	return padLines(out[max(0, len(out)-height):], height)
}

// statusLine is the line above the keys: a prompt, the last message, or
// what is wrong with the host's stream.
func (m *Model) statusLine() string {
	switch m.mode {
	case modeFilter:
		return "/" + m.input + "_  (Enter keeps the filter, Esc clears it)"
	case modeSignal:
		return fmt.Sprintf("signal to send to %s: %s_  (HUP, TERM, USR1, 9...; Enter sends, Esc cancels)", m.selected, m.input)
	case modeConfirm:
		return m.style(bold, fmt.Sprintf("%s is critical: %s it? (y/n)", m.confirm.name, m.confirm.op.Kind))
	}
	if m.conn != "" && (m.synced || len(m.daemons) > 0) {
		return m.style(red, m.conn+"; trying again...")
	}
	if m.flash != "" && time.Since(m.flashAt) < flashFor {
		if m.flashError {
			return m.style(red, m.flash)
		}
		return m.flash
	}
	return ""
}

// footerKeys are the keys the footer shows, those that fit, in this
// order; ? and q always show.
var footerKeys = [][2]string{
	{"r", "restart"}, {"s", "stop"}, {"R", "reload"}, {"+/-", "scale"}, {"k", "signal"},
	{"/", "filter"}, {"l", "log"}, {"f", "follow"},
}

// keys is the last line: the main keys.
func (m *Model) keys() string {
	item := func(k, what string) string { return m.style(keyStyle, k) + ":" + what }
	tail := item("?", "help") + " " + item("q", "quit")
	var b strings.Builder
	room := m.width - ansi.StringWidth(tail)
	for _, k := range footerKeys {
		what := k[1]
		if k[0] == "s" {
			if d := m.selectedDaemon(); d != nil && !runs(d.view) {
				what = "start"
			}
		}
		it := item(k[0], what) + " "
		if ansi.StringWidth(b.String()+it) > room {
			break
		}
		b.WriteString(it)
	}
	return b.String() + tail
}

// help is the help screen.
func (m *Model) help() []string {
	out := []string{"", m.style(bold, "  keys")}
	for _, k := range keyHelp {
		out = append(out, fmt.Sprintf("  %-10s %s", k[0], k[1]))
	}
	out = append(out, "",
		"  RST: restarts; EXIT: how the last process ended; READY: its --ready check",
		"  (yes, no) or its --health verdict; CPU over the last second, 100% = one CPU;",
		"  MEM: all its processes. A key that stops a critical daemon asks first.",
		"", "  Any key closes this help.")
	return out
}

// style applies s; without colors, only its attributes (bold, reverse,
// faint), which a terminal without colors shows too.
func (m *Model) style(s lipgloss.Style, text string) string {
	if !m.cfg.Color {
		s = s.UnsetForeground()
	}
	return s.Render(text)
}

// padLines pads lines with empty ones to n.
func padLines(lines []string, n int) []string {
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}
