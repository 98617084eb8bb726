package top

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tendhq/tend/internal/api"
)

// The view's commands: each runs in a goroutine of its own and returns
// a message to Update, which alone changes the Model.

// Messages of the commands.
type (
	streamOpened struct{ events <-chan Event }
	streamFailed struct{ err error }
	eventsMsg    struct {
		events []Event
		from   <-chan Event
		ended  bool
	}
	reconnect struct{}

	sampleDue struct{}
	usageMsg  struct {
		usage   map[string]Usage
		err     error
		started time.Time
	}

	logOpened struct {
		gen   int
		lines <-chan string
	}
	logLines struct {
		gen   int
		lines []string
		from  <-chan string
		ended bool
		err   error
	}

	opDone struct {
		name   string
		op     Op
		result string
		err    error
	}
)

// sampleEvery is how often CPU and memory are sampled while the view is
// open.
const sampleEvery = time.Second

// batchMax bounds the events or log lines taken in one message: enough
// that a snapshot of a thousand daemons is a few renders, not a
// thousand.
const batchMax = 1024

// connect opens the event stream.
func (m *Model) connect() tea.Cmd {
	host, ctx, project := m.host, m.ctx, m.cfg.Project
	return func() tea.Msg {
		events, err := host.Events(ctx, project)
		if err != nil {
			return streamFailed{err}
		}
		return streamOpened{events}
	}
}

// nextEvents waits for the next events of the stream, and takes those
// that came with them.
func nextEvents(events <-chan Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return eventsMsg{from: events, ended: true}
		}
		batch := []Event{ev}
		for len(batch) < batchMax {
			select {
			case ev, ok := <-events:
				if !ok {
					return eventsMsg{events: batch, from: events, ended: true}
				}
				batch = append(batch, ev)
			default:
				return eventsMsg{events: batch, from: events}
			}
		}
		return eventsMsg{events: batch, from: events}
	}
}

// sample measures CPU and memory of the daemons as they are now.
func (m *Model) sample() tea.Cmd {
	host, ctx := m.host, m.ctx
	return func() tea.Msg {
		started := time.Now()
		u, err := host.Usage(ctx)
		return usageMsg{usage: u, err: err, started: started}
	}
}

// logLinesKept is how many lines of a log the view keeps, to scroll back.
const logLinesKept = 2000

// openLog follows name's log, as the generation gen of the log pane.
func (m *Model) openLog(ctx context.Context, name string, gen int) tea.Cmd {
	host := m.host
	n := max(m.height, 50)
	return func() tea.Msg {
		rc, err := host.Logs(ctx, name, n)
		if err != nil {
			return logLines{gen: gen, ended: true, err: err}
		}
		lines := make(chan string, 256)
		go func() {
			defer close(lines)
			defer rc.Close()
			sc := bufio.NewScanner(rc)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				case <-ctx.Done():
					return
				}
			}
		}()
		return logOpened{gen: gen, lines: lines}
	}
}

// nextLogLines waits for the log's next lines.
func nextLogLines(gen int, lines <-chan string) tea.Cmd {
	return func() tea.Msg {
		l, ok := <-lines
		if !ok {
			return logLines{gen: gen, ended: true}
		}
		batch := []string{l}
		for len(batch) < batchMax {
			select {
			case l, ok := <-lines:
				if !ok {
					return logLines{gen: gen, lines: batch, ended: true}
				}
				batch = append(batch, l)
			default:
				return logLines{gen: gen, lines: batch, from: lines}
			}
		}
		return logLines{gen: gen, lines: batch, from: lines}
	}
}

// run carries out op on name, in the background.
func (m *Model) run(name string, op Op) tea.Cmd {
	if k, ok := m.busy[name]; ok {
		m.say(true, fmt.Sprintf("%s: a %s is under way; wait for it", name, k))
		return nil
	}
	m.busy[name] = op.Kind
	m.say(false, doing(name, op))
	host, ctx := m.host, m.ctx
	return func() tea.Msg {
		res, err := host.Do(ctx, name, op)
		return opDone{name: name, op: op, result: res, err: err}
	}
}

// opDone shows what became of an operation.
func (m *Model) opDone(msg opDone) {
	delete(m.busy, msg.name)
	if msg.err != nil {
		text := strings.TrimPrefix(api.Message(msg.err), msg.name+": ")
		m.say(true, fmt.Sprintf("%s %s: %s", msg.op.Kind, msg.name, text))
		return
	}
	text := done(msg.name, msg.op)
	if msg.result != "" {
		text += ": " + msg.result
	}
	m.say(false, text)
}

// doing and done say an operation on name in the status line.
func doing(name string, op Op) string {
	switch op.Kind {
	case OpScale:
		return fmt.Sprintf("scaling %s to %d instances...", name, op.Instances)
	case OpSignal:
		return fmt.Sprintf("sending SIG%s to %s...", op.Signal, name)
	case OpStop:
		return "stopping " + name + "..."
	case OpStart:
		return "starting " + name + "..."
	}
	return string(op.Kind) + "ing " + name + "..."
}

func done(name string, op Op) string {
	switch op.Kind {
	case OpScale:
		return fmt.Sprintf("scaled %s to %d instances", name, op.Instances)
	case OpSignal:
		return fmt.Sprintf("sent SIG%s to %s", op.Signal, name)
	case OpStop:
		return "stopped " + name
	case OpStart:
		return "started " + name
	}
	return string(op.Kind) + "ed " + name
}
