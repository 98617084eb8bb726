package top

import (
	"fmt"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/status"
)

// keyHelp is the help screen (?): every key, in the order the footer
// shows the first ones.
var keyHelp = [][2]string{
	{"up, down", "select a daemon (PgUp, PgDn, Home, End: by pages, to the ends)"},
	{"r", "restart the selected daemon (start it if it does not run)"},
	{"s", "stop it, or start it when it does not run"},
	{"R", "reload it: a new incarnation beside the old one, no moment down"},
	{"+, -", "scale it: one instance more, one less"},
	{"k", "send it a signal (HUP, TERM, USR1, 9...)"},
	{"/", "filter the daemons by name, project or state (Esc clears)"},
	{"Enter, l", "the log full screen, and back"},
	{"f", "stop following the log, to scroll it (up, down, PgUp, PgDn); f again follows"},
	{"?", "this help"},
	{"q, Ctrl-C", "quit"},
}

// key takes a key press.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if k.String() == "ctrl+c" {
		return m.quit()
	}
	switch m.mode {
	case modeHelp:
		m.mode = modeNormal
		return nil
	case modeFilter:
		return m.typeFilter(k)
	case modeSignal:
		return m.typeSignal(k)
	case modeConfirm:
		p := m.confirm
		m.mode, m.confirm = modeNormal, nil
		if k.String() == "y" || k.String() == "Y" {
			return m.run(p.name, p.op)
		}
		m.say(false, "cancelled")
		return nil
	}
	return m.normalKey(k)
}

// normalKey takes a key press when no prompt is open.
func (m *Model) normalKey(k tea.KeyPressMsg) tea.Cmd {
	scrolls := m.log.full || !m.log.follow // the arrows scroll the log
	page := max(1, m.logHeight()-1)
	switch k.String() {
	case "q":
		return m.quit()
	case "?":
		m.mode = modeHelp
	case "up":
		if scrolls {
			m.log.scroll(1, m.logHeight())
			return nil
		}
		return m.move(-1)
	case "down":
		if scrolls {
			m.log.scroll(-1, m.logHeight())
			return nil
		}
		return m.move(1)
	case "pgup":
		if scrolls {
			m.log.scroll(page, m.logHeight())
			return nil
		}
		return m.move(-max(1, m.tableHeight()-1))
	case "pgdown":
		if scrolls {
			m.log.scroll(-page, m.logHeight())
			return nil
		}
		return m.move(max(1, m.tableHeight()-1))
	case "home":
		if scrolls {
			m.log.scroll(len(m.log.lines), m.logHeight())
			return nil
		}
		return m.move(-len(m.daemons))
	case "end":
		if scrolls {
			m.log.follow, m.log.back = true, 0
			return nil
		}
		return m.move(len(m.daemons))
	case "enter", "l":
		m.log.full = !m.log.full
	case "f":
		if m.log.follow {
			m.log.follow = false
			m.say(false, "not following the log: up, down, PgUp, PgDn scroll it; f follows it again")
		} else {
			m.log.follow, m.log.back = true, 0
		}
	case "esc":
		switch {
		case m.log.full:
			m.log.full = false
		case !m.log.follow:
			m.log.follow, m.log.back = true, 0
		case m.filter != "":
			m.filter = ""
			return m.keepSelection()
		}
	case "/":
		m.mode, m.input, m.filter = modeFilter, "", ""
		return m.keepSelection()
	case "r":
		return m.operate(Op{Kind: OpRestart}, true)
	case "s":
		if d := m.selectedDaemon(); d != nil && !runs(d.view) {
			return m.operate(Op{Kind: OpStart}, false)
		}
		return m.operate(Op{Kind: OpStop}, true)
	case "R":
		return m.operate(Op{Kind: OpReload}, false)
	case "+", "=":
		if d := m.selectedDaemon(); d != nil {
			return m.operate(Op{Kind: OpScale, Instances: instances(d.view) + 1}, false)
		}
	case "-":
		if d := m.selectedDaemon(); d != nil {
			n := instances(d.view)
			if n <= 1 {
				m.say(true, fmt.Sprintf("%s runs one instance: s stops it", d.view.Name))
				return nil
			}
			return m.operate(Op{Kind: OpScale, Instances: n - 1}, true)
		}
	case "k":
		if m.selectedDaemon() != nil {
			m.mode, m.input = modeSignal, ""
		}
	}
	return nil
}

// operate carries out op on the selected daemon; one that stops it asks
// first (modeConfirm) when the daemon is critical.
func (m *Model) operate(op Op, stops bool) tea.Cmd {
	d := m.selectedDaemon()
	if d == nil {
		m.say(true, "no daemon selected")
		return nil
	}
	if stops && d.critical {
		m.mode, m.confirm = modeConfirm, &pendingOp{name: d.view.Name, op: op}
		return nil
	}
	return m.run(d.view.Name, op)
}

// typeFilter takes a key press while the filter is typed: the table
// shows what matches as it is typed.
func (m *Model) typeFilter(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "enter":
		m.mode = modeNormal
	case "esc":
		m.mode, m.filter = modeNormal, ""
	case "backspace":
		m.filter = dropLast(m.filter)
	default:
		if k.Text == "" {
			return nil
		}
		m.filter += k.Text
	}
	m.input = m.filter
	return m.keepSelection()
}

// typeSignal takes a key press while a signal's name is typed.
func (m *Model) typeSignal(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.mode = modeNormal
	case "backspace":
		m.input = dropLast(m.input)
	case "enter":
		m.mode = modeNormal
		sig := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(m.input)), "SIG")
		if sig == "" {
			return nil
		}
		return m.operate(Op{Kind: OpSignal, Signal: sig}, false)
	default:
		for _, r := range k.Text {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '-' {
				m.input += string(r)
			}
		}
	}
	return nil
}

// quit ends the view.
func (m *Model) quit() tea.Cmd {
	if m.log.cancel != nil {
		m.log.cancel()
	}
	m.quitting = true
	return tea.Quit
}

func dropLast(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return string(r[:len(r)-1])
}

// runs reports whether something of the daemon runs or is to run: s
// stops it, rather than starts it.
func runs(v *api.View) bool {
	switch v.Condition {
	case api.Condition(status.Stopped), api.Condition(status.Failed), api.Condition(status.Exited), api.Condition(status.Completed), api.Dead:
		return false
	}
	return true
}

// instances is how many instances of the daemon run.
func instances(v *api.View) int {
	return max(v.InstanceCount, len(v.Instances), 1)
}
