package top

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/status"
)

// The model, driven message by message as the program would, with a
// host that records what it is asked.

type fakeHost struct {
	mu  sync.Mutex
	ops []string
}

func (h *fakeHost) Events(ctx context.Context, project string) (<-chan Event, error) {
	return make(chan Event), nil
}

func (h *fakeHost) Logs(ctx context.Context, name string, lines int) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

func (h *fakeHost) Usage(ctx context.Context) (map[string]Usage, error) {
	return nil, nil
}

func (h *fakeHost) Do(ctx context.Context, name string, op Op) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, fmt.Sprintf("%s %s %d %s", op.Kind, name, op.Instances, op.Signal))
	return "pid 42", nil
}

func (h *fakeHost) done() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ops...)
}

// view is a daemon's view for a snapshot.
func view(name string, cond status.State, opts ...func(*api.View)) *api.View {
	v := &api.View{Record: status.Record{Name: name, State: cond, StartedAt: time.Now()}, Condition: api.Condition(cond)}
	if cond == status.Running {
		v.PID, v.MainAlive, v.SupervisorAlive, v.Ready = 1000+len(name), true, true, true
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// newModel is a model of width x height that has had a snapshot of
// views.
func newModel(t *testing.T, width, height int, events ...Event) (*Model, *fakeHost) {
	t.Helper()
	h := &fakeHost{}
	m := New(context.Background(), h, Config{Where: "test"})
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	m.Update(streamOpened{events: make(chan Event)})
	events = append(events, Event{Event: api.Event{Type: api.EventSynced}})
	m.Update(eventsMsg{events: events, from: make(chan Event)})
	return m, h
}

func snapshot(v *api.View) Event {
	return Event{Event: api.Event{Type: api.EventSnapshot, Name: v.Name, Daemon: v}}
}

// press sends keys to m: runes as typed, or names of keys (up, enter...).
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "up":
			msg.Code = tea.KeyUp
		case "down":
			msg.Code = tea.KeyDown
		case "end":
			msg.Code = tea.KeyEnd
		case "enter":
			msg.Code = tea.KeyEnter
		case "esc":
			msg.Code = tea.KeyEscape
		default:
			msg.Code, msg.Text = []rune(k)[0], k
		}
		_, cmd = m.Update(msg)
	}
	return cmd
}

// screen is m's screen as plain text.
func screen(m *Model) string { return ansi.Strip(m.render()) }

// run carries out what an operation's key returned, and gives its answer
// to m.
func run(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Fatal("the key did nothing")
	}
	msg := cmd()
	if _, ok := msg.(opDone); !ok {
		t.Fatalf("the key's command gave %T, not an operation's end", msg)
	}
	m.Update(msg)
}

func TestScreenFits(t *testing.T) {
	var events []Event
	for i := range 40 {
		v := view(fmt.Sprintf("a-project-with-a-long-name.d%d", i), status.Running, func(v *api.View) {
			v.LastExit = &status.Exit{Code: 143, Signal: "TERM"}
			v.Health = "unhealthy (1 of 3 failures)"
			v.InstanceCount = 2
			v.Instances = []status.Instance{{Index: 0, State: status.Running, PID: 7}, {Index: 1, State: status.BackingOff}}
		})
		ev := snapshot(v)
		ev.Project = "a-project-with-a-long-name"
		events = append(events, ev)
	}
	for _, size := range [][2]int{{80, 24}, {40, 10}, {200, 60}, {20, 4}} {
		m, _ := newModel(t, size[0], size[1], events...)
		press(m, "end")
		s := screen(m)
		lines := strings.Split(s, "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: %d lines:\n%s", size[0], size[1], len(lines), s)
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%dx%d: a line of %d columns: %q", size[0], size[1], w, l)
			}
		}
		if size[1] >= 10 && !strings.Contains(s, "> a-project") {
			t.Errorf("%dx%d: the selected daemon does not show:\n%s", size[0], size[1], s)
		}
	}
}

func TestNaturalOrderAndInstances(t *testing.T) {
	m, _ := newModel(t, 100, 24,
		snapshot(view("d10", status.Running)), snapshot(view("d2", status.Stopped)),
		snapshot(view("d1", status.Running, func(v *api.View) {
			v.Instances = []status.Instance{{Index: 0, State: status.Running, PID: 7}, {Index: 1, State: status.Starting, PID: 8}}
		})))
	s := screen(m)
	order := []string{"> d1 ", " #0 ", " #1 ", "  d2 ", "  d10 "}
	at := 0
	for _, o := range order {
		i := strings.Index(s[at:], o)
		if i < 0 {
			t.Fatalf("%q is not after %q on the screen:\n%s", o, s[:at], s)
		}
		at += i
	}
}

func TestCriticalAsksFirst(t *testing.T) {
	crit := snapshot(view("db", status.Running))
	crit.Critical = true
	m, h := newModel(t, 80, 24, crit, snapshot(view("web", status.Running)))
	if cmd := press(m, "r"); cmd != nil || m.mode != modeConfirm || !strings.Contains(screen(m), "db is critical: restart it? (y/n)") {
		t.Fatalf("r on a critical daemon does not ask:\n%s", screen(m))
	}
	press(m, "n")
	if m.mode != modeNormal || len(h.done()) != 0 {
		t.Fatalf("n does not cancel: mode %d, %v", m.mode, h.done())
	}
	press(m, "r")
	run(t, m, press(m, "y"))
	if got := h.done(); len(got) != 1 || got[0] != "restart db 0 " {
		t.Fatalf("after r, y: %q", got)
	}
	if !strings.Contains(screen(m), "restarted db: pid 42") {
		t.Errorf("the status line does not say what became of it:\n%s", screen(m))
	}
	// Not critical: at once.
	press(m, "down")
	run(t, m, press(m, "r"))
	if got := h.done(); len(got) != 2 || got[1] != "restart web 0 " {
		t.Fatalf("r on web: %q", got)
	}
}

func TestKeysToOperations(t *testing.T) {
	m, h := newModel(t, 80, 24,
		snapshot(view("a", status.Running, func(v *api.View) { v.InstanceCount = 2 })),
		snapshot(view("b", status.Stopped)))
	run(t, m, press(m, "+"))
	run(t, m, press(m, "-"))
	run(t, m, press(m, "R"))
	run(t, m, press(m, "k", "h", "u", "p", "enter"))
	run(t, m, press(m, "s"))
	press(m, "down")
	if !strings.Contains(screen(m), "s:start") {
		t.Errorf("the keys do not say s starts a stopped daemon:\n%s", screen(m))
	}
	run(t, m, press(m, "s"))
	want := []string{"scale a 3 ", "scale a 1 ", "reload a 0 ", "signal a 0 HUP", "stop a 0 ", "start b 0 "}
	if got := h.done(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("operations %q, want %q", got, want)
	}
	if cmd := press(m, "-"); cmd != nil || !strings.Contains(screen(m), "b runs one instance") {
		t.Errorf("- on one instance: %v\n%s", cmd, screen(m))
	}
}

func TestFilter(t *testing.T) {
	m, _ := newModel(t, 80, 24, snapshot(view("web", status.Running)), snapshot(view("worker", status.Failed)),
		snapshot(view("db", status.Running)))
	press(m, "/", "w")
	if s := screen(m); !strings.Contains(s, " web ") || !strings.Contains(s, " worker ") || strings.Contains(s, " db ") {
		t.Fatalf("filter w:\n%s", s)
	}
	press(m, "enter", "/", "f", "a", "i", "l", "enter") // a new filter, by state
	if s := screen(m); !strings.Contains(s, "> worker ") || strings.Contains(s, " web ") {
		t.Fatalf("filter fail:\n%s", s)
	}
	if m.selected != "worker" {
		t.Errorf("selected %q, want the only one shown", m.selected)
	}
	press(m, "esc")
	if s := screen(m); !strings.Contains(s, " db ") {
		t.Fatalf("Esc does not clear the filter:\n%s", s)
	}
}

func TestStreamAgain(t *testing.T) {
	m, _ := newModel(t, 80, 24, snapshot(view("gone", status.Running)), snapshot(view("stays", status.Running)))
	// The stream ends: the daemons stay on screen until a new one has
	// said what there is.
	_, cmd := m.Update(eventsMsg{from: make(chan Event), ended: true})
	if cmd == nil || !strings.Contains(screen(m), "trying again") || !strings.Contains(screen(m), "gone") {
		t.Fatalf("after the stream ended:\n%s", screen(m))
	}
	m.Update(streamOpened{events: make(chan Event)})
	m.Update(eventsMsg{events: []Event{snapshot(view("stays", status.Running))}, from: make(chan Event)})
	if !strings.Contains(screen(m), "gone") {
		t.Fatalf("a daemon went before the new stream was synced:\n%s", screen(m))
	}
	m.Update(eventsMsg{events: []Event{{Event: api.Event{Type: api.EventSynced}}}, from: make(chan Event)})
	if s := screen(m); strings.Contains(s, "gone") || !strings.Contains(s, "> stays") || strings.Contains(s, "trying again") {
		t.Fatalf("after the new snapshot:\n%s", s)
	}
}

func TestLogFollowsAndScrolls(t *testing.T) {
	m, _ := newModel(t, 80, 24, snapshot(view("web", status.Running)))
	var lines []string
	for i := range 100 {
		lines = append(lines, fmt.Sprintf("2026-11-23T20:30:08.310513Z stdout line %d", i))
	}
	m.Update(logLines{gen: m.log.gen, lines: lines, from: make(chan string)})
	if s := screen(m); !strings.Contains(s, "line 99") || strings.Contains(s, "stdout") {
		t.Fatalf("the log pane does not show the last line, without its stream:\n%s", s)
	}
	press(m, "f", "up", "up")
	m.Update(logLines{gen: m.log.gen, lines: []string{"2026-11-23T20:30:09.000000Z stderr brand-new"}, from: make(chan string)})
	if s := screen(m); strings.Contains(s, "line 99") || strings.Contains(s, "brand-new") || !strings.Contains(s, "3 newer lines below") {
		t.Fatalf("a paused log moves:\n%s", s)
	}
	press(m, "f")
	if s := screen(m); !strings.Contains(s, "brand-new") {
		t.Fatalf("f does not follow again:\n%s", s)
	}
	press(m, "enter")
	if s := screen(m); strings.Contains(s, "NAME") || strings.Count(s, "line ") < 18 {
		t.Fatalf("Enter does not show the log full screen:\n%s", s)
	}
	// Lines of a log no longer shown are dropped.
	m.Update(logLines{gen: m.log.gen - 1, lines: []string{"stale"}, from: make(chan string)})
	if strings.Contains(screen(m), "stale") {
		t.Fatal("a line of an older log shows")
	}
}

func TestLogLinesCannotActOnTheScreen(t *testing.T) {
	m, _ := newModel(t, 80, 24, snapshot(view("web", status.Running)))
	m.Update(logLines{gen: m.log.gen, from: make(chan string), lines: []string{
		"2026-11-23T20:30:08.310513Z stdout \x1b[2J\x1b[31mred\x1b[0m\ta\x07b\rc",
	}})
	s := m.render()
	if strings.Contains(s, "\x1b[2J") || strings.Contains(s, "\x07") || strings.Contains(s, "\r") ||
		!strings.Contains(ansi.Strip(s), "red     abc") {
		t.Errorf("a log line's control characters reach the screen: %q", s)
	}
	if got := printable("ab\tc"); got != "ab      c" {
		t.Errorf("printable(ab\\tc) = %q", got)
	}
}
