package top

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/state"
)

// Config is what a view shows: every daemon of the host, those of
// Project, or those named.
type Config struct {
	// Project limits the view to one project's daemons.
	Project string
	// Names limits it to these daemons, by full name (shop.web) or short
	// name (web).
	Names []string
	// Where names the host in the header ("local", a URL).
	Where string
	// Color says whether states are colored; without, the view is plain
	// text (the selection in reverse video).
	Color bool
}

// daemon is one daemon as the view knows it.
type daemon struct {
	view     *api.View
	project  string
	critical bool
}

// mode is what the keys do now.
type mode int

const (
	modeNormal  mode = iota
	modeFilter       // typing the filter after /
	modeSignal       // typing a signal's name after k
	modeConfirm      // y or n, for an operation on a critical daemon
	modeHelp         // the help screen, after ?
)

// Model is the whole state of the view; only Update changes it.
type Model struct {
	host Host
	cfg  Config
	ctx  context.Context

	width, height int
	now           time.Time

	daemons map[string]*daemon
	// incoming collects a new stream's snapshot until it is synced; it
	// then replaces daemons (a daemon removed while no stream listened
	// goes then).
	incoming map[string]*daemon
	synced   bool
	// conn says how the event stream is: "" while it runs, else why not.
	conn    string
	retries int
	usage   map[string]Usage

	selected string // the selected daemon's name
	top      int    // the first row of the table on screen
	filter   string
	mode     mode
	input    string // what is typed in modeFilter and modeSignal
	confirm  *pendingOp

	log  logPane
	busy map[string]OpKind // operations under way, by daemon

	flash      string
	flashError bool
	flashAt    time.Time

	quitting bool
}

// pendingOp is an operation that waits for y (modeConfirm).
type pendingOp struct {
	name string
	op   Op
}

// New returns the view of host, whose commands run until ctx is done.
func New(ctx context.Context, host Host, cfg Config) *Model {
	return &Model{
		host: host, cfg: cfg, ctx: ctx,
		width: 80, height: 24, now: time.Now(),
		daemons: map[string]*daemon{},
		usage:   map[string]Usage{},
		busy:    map[string]OpKind{},
		conn:    "connecting to the host",
		log:     logPane{follow: true},
	}
}

// Init starts the event stream and the samples of CPU and memory.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.connect(), m.sample())
}

// Update takes one message and returns what to do next.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.scrollToSelected()
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case streamOpened:
		m.conn, m.retries, m.incoming, m.synced = "", 0, map[string]*daemon{}, false
		var reopen tea.Cmd
		if m.log.ended {
			reopen = m.openSelectedLog() // it ended with the host's stream, likely
		}
		return m, tea.Batch(reopen, nextEvents(msg.events))
	case eventsMsg:
		follow := m.apply(msg.events)
		if msg.ended {
			return m, tea.Batch(follow, m.streamEnded("the host's event stream ended"))
		}
		return m, tea.Batch(follow, nextEvents(msg.from))
	case streamFailed:
		return m, m.streamEnded(msg.err.Error())
	case reconnect:
		return m, m.connect()
	case usageMsg:
		m.now = time.Now()
		m.usage = msg.usage // none when it failed: no figures rather than old ones
		return m, tea.Tick(time.Until(msg.started.Add(sampleEvery)), func(time.Time) tea.Msg { return sampleDue{} })
	case sampleDue:
		return m, m.sample()
	case logOpened:
		if msg.gen != m.log.gen {
			return m, nil
		}
		return m, nextLogLines(msg.gen, msg.lines)
	case logLines:
		if msg.gen != m.log.gen {
			return m, nil
		}
		m.log.add(msg.lines)
		if msg.ended {
			m.log.ended, m.log.endErr = true, msg.err
			return m, nil
		}
		return m, nextLogLines(msg.gen, msg.from)
	case opDone:
		m.opDone(msg)
		return m, nil
	}
	return m, nil
}

// streamEnded notes that the event stream ended, and tries again: at
// once the first time (a host replaced by its keeper answers at once),
// then after a second, two, up to five.
func (m *Model) streamEnded(why string) tea.Cmd {
	m.conn = printable(strings.Join(strings.Fields(why), " "))
	m.retries++
	wait := min(time.Duration(m.retries-1)*time.Second, 5*time.Second)
	return tea.Tick(wait, func(time.Time) tea.Msg { return reconnect{} })
}

// apply takes a batch of events, and returns what follows the log of
// the daemon selected then.
func (m *Model) apply(events []Event) tea.Cmd {
	for _, ev := range events {
		switch ev.Type {
		case api.EventSnapshot:
			if ev.Daemon != nil && m.shown(ev.Name) {
				m.incoming[ev.Name] = &daemon{view: ev.Daemon, project: ev.Project, critical: ev.Critical}
			}
		case api.EventSynced:
			m.daemons, m.incoming, m.synced = m.incoming, nil, true
		case api.EventChange:
			if ev.Daemon == nil || !m.shown(ev.Name) {
				continue
			}
			d := &daemon{view: ev.Daemon, project: ev.Project, critical: ev.Critical}
			if m.synced {
				m.daemons[ev.Name] = d
			} else {
				m.incoming[ev.Name] = d
			}
		case api.EventRemoved:
			delete(m.daemons, ev.Name)
			delete(m.incoming, ev.Name)
		case api.EventDropped:
			m.conn = printable(ev.Message)
		}
	}
	return m.keepSelection()
}

// shown says whether the daemon called name belongs to the view (the
// names of Config).
func (m *Model) shown(name string) bool {
	if len(m.cfg.Names) == 0 {
		return true
	}
	for _, n := range m.cfg.Names {
		if n == name || strings.HasSuffix(name, "."+n) {
			return true
		}
	}
	return false
}

// visible returns the names of the daemons the table shows, in natural
// order (d2 before d10), those that match the filter.
func (m *Model) visible() []string {
	names := make([]string, 0, len(m.daemons))
	for name, d := range m.daemons {
		if m.filter == "" || strings.Contains(strings.ToLower(name+" "+d.project+" "+string(d.view.Condition)), strings.ToLower(m.filter)) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, state.CompareNames)
	return names
}

// keepSelection keeps a daemon selected: the one selected while it is
// shown, else the next one in order, else the first; and follows its
// log.
func (m *Model) keepSelection() tea.Cmd {
	names := m.visible()
	switch {
	case len(names) == 0:
		m.selected = ""
	case !slices.Contains(names, m.selected):
		i, _ := slices.BinarySearchFunc(names, m.selected, state.CompareNames)
		m.selected = names[min(i, len(names)-1)]
	}
	m.scrollToSelected()
	return m.followSelected()
}

// move selects the daemon delta rows from the selected one.
func (m *Model) move(delta int) tea.Cmd {
	names := m.visible()
	if len(names) == 0 {
		return nil
	}
	i := slices.Index(names, m.selected)
	m.selected = names[max(0, min(len(names)-1, i+delta))]
	m.scrollToSelected()
	return m.followSelected()
}

// selectedDaemon returns the selected daemon, nil when none.
func (m *Model) selectedDaemon() *daemon {
	return m.daemons[m.selected]
}

// say shows a message in the status line.
func (m *Model) say(err bool, msg string) {
	m.flash, m.flashError, m.flashAt = printable(strings.Join(strings.Fields(msg), " ")), err, time.Now()
}

// Run shows the view on the terminal until q or Ctrl-C, and leaves the
// terminal as it was.
func Run(ctx context.Context, host Host, cfg Config) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the streams of the commands still running
	p := tea.NewProgram(New(ctx, host, cfg), tea.WithContext(ctx))
	_, err := p.Run()
	if errors.Is(err, tea.ErrInterrupted) {
		return nil // SIGINT: as q
	}
	return err
}
