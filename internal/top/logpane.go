package top

import (
	"context"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tendhq/tend/internal/logcap"
)

// logPane is the log of the selected daemon, below the table: it follows
// the log as lines come, or (after f) stays where it is and scrolls.
type logPane struct {
	name   string // whose log it shows
	gen    int    // counts the logs opened: lines of an older one are dropped
	cancel context.CancelFunc
	lines  []string // the last logLinesKept lines, as the log has them
	follow bool
	// back is how many of the last lines are below the pane while it
	// does not follow.
	back int
	full bool // the log fills the screen
	// ended says the log's stream ended, and endErr why, if it failed.
	ended  bool
	endErr error
}

// add takes new lines of the log.
func (l *logPane) add(lines []string) {
	l.lines = append(l.lines, lines...)
	if !l.follow {
		l.back += len(lines) // what is on screen stays there
	}
	if over := len(l.lines) - logLinesKept; over > 0 {
		l.lines = append(l.lines[:0:0], l.lines[over:]...)
	}
	l.back = min(l.back, len(l.lines))
}

// scroll moves the pane delta lines back (up) or forward (down), where
// height lines show.
func (l *logPane) scroll(delta, height int) {
	l.follow = false
	l.back = max(0, min(len(l.lines)-height, l.back+delta))
	l.back = max(l.back, 0)
}

// window returns the lines that show in a pane of height lines.
func (l *logPane) window(height int) []string {
	end := len(l.lines) - l.back
	return l.lines[max(0, end-height):end]
}

// followSelected follows the selected daemon's log, when it does not
// already.
func (m *Model) followSelected() tea.Cmd {
	if m.selected == m.log.name {
		return nil
	}
	return m.openSelectedLog()
}

// openSelectedLog opens the selected daemon's log anew.
func (m *Model) openSelectedLog() tea.Cmd {
	if m.log.cancel != nil {
		m.log.cancel()
	}
	m.log = logPane{name: m.selected, gen: m.log.gen + 1, follow: true, full: m.log.full}
	if m.selected == "" {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.log.cancel = cancel
	return m.openLog(ctx, m.selected, m.log.gen)
}

// logText is one line of a log as the pane shows it: its time (local,
// to the second), the instance that wrote it ("#1"), and its text;
// stderr says whether it came from standard error.
func logText(line string) (text string, stderr, marker bool) {
	r := logcap.Parse(line)
	if r.Time.IsZero() {
		return printable(line), false, false
	}
	text = r.Time.Local().Format("15:04:05") + " "
	if r.HasInstance {
		text += "#" + strconv.Itoa(r.Instance) + " "
	}
	return text + printable(r.Text), r.Stream == logcap.Stderr, r.Stream == logcap.Marker
}

// printable is text as one line of the screen: without the escape
// sequences a program writes (colors, cursor moves: they would act on
// the view), tabs as spaces to the next multiple of 8, other control
// characters left out.
func printable(text string) string {
	text = ansi.Strip(text)
	var b strings.Builder
	col := 0
	for _, r := range text {
		switch {
		case r == '\t':
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
		default:
			b.WriteRune(r)
			col++ // close enough for tab stops after wide characters
		}
	}
	return b.String()
}
