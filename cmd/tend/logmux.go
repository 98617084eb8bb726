package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/state"
)

// Several daemons' logs at once, foreman style: their lines interleaved in
// time order, each after its time and the daemon's name.

// logSources are the daemons whose logs are shown: those named, or every
// daemon (of a project, with one), including, when following, those that
// appear later.
type logSources struct {
	store   *state.Store
	names   []string // as given; none for all
	project string
	// fromNow follows the logs there at the start from their present end
	// (the others, new, from their first line), for tend up --foreground.
	fromNow bool
	// prefix aligns the names: the longest name's width.
	width int
	// out is where follow prints (os.Stdout when nil).
	out io.Writer
}

// check refuses names that name no daemon.
func (s *logSources) check() error {
	for _, n := range s.names {
		if _, err := findDaemon(s.store, n); err != nil {
			return err
		}
	}
	return nil
}

// dirs returns the daemons' folders now.
func (s *logSources) dirs() []state.Dir {
	var out []state.Dir
	if len(s.names) > 0 {
		for _, n := range s.names {
			if d, err := findDaemon(s.store, n); err == nil {
				out = append(out, d)
			}
		}
		return out
	}
	names, _ := s.store.List()
	for _, n := range names {
		if s.project != "" {
			if def, ok := loadDefinition(s.store, n); !ok || def.Project != s.project {
				continue
			}
		}
		if d, err := s.store.Dir(n); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// logLine is one line of one daemon's log.
type logLine struct {
	name string
	rec  logcap.Record
	seq  int // order of arrival, for lines without a time
}

// print prints the last n lines of each log (none for 0, all for n <
// 0), merged in time order.
func (s *logSources) print(n int, filter logcap.Filter) int {
	var all []logLine
	dirs := s.dirs()
	for _, d := range dirs {
		s.width = max(s.width, len(d.Name))
		if n == 0 {
			continue // as tail -n 0
		}
		lines, err := logcap.Tail(daemonLog(d), max(n, 0), filter)
		if err != nil {
			continue // no log yet
		}
		all = append(all, s.parse(d.Name, lines)...)
	}
	if len(dirs) == 0 {
		fmt.Fprintln(os.Stderr, "tend: no daemons to show the logs of (see: tend list)")
		return exitOK
	}
	p := newLinePrinter(s.width)
	p.write(sortLines(all))
	return exitOK
}

// parse turns a daemon's lines into logLines; a line without a time takes
// the time of the line before it, so that it stays in place.
func (s *logSources) parse(name string, lines []string) []logLine {
	out := make([]logLine, 0, len(lines))
	var last time.Time
	for i, l := range lines {
		r := logcap.Parse(l)
		if r.Time.IsZero() {
			r.Time = last
		}
		last = r.Time
		out = append(out, logLine{name: name, rec: r, seq: i})
	}
	return out
}

func sortLines(lines []logLine) []logLine {
	slices.SortStableFunc(lines, func(a, b logLine) int { return a.rec.Time.Compare(b.rec.Time) })
	return lines
}

// follow prints the last n lines of each log (none for 0, all for n < 0;
// none with fromNow), then new lines as they come, until ctx is done, and
// then what the logs hold at that moment. Lines that come within one
// batchDelay are printed in time order.
func (s *logSources) follow(ctx context.Context, n int, filter logcap.Filter) error {
	lines := make(chan logLine, 1024)
	var wg sync.WaitGroup
	followed := map[string]bool{}
	start := func(d state.Dir, n int) {
		followed[d.Name] = true
		wg.Go(func() { followLog(ctx, d, n, filter, lines) })
	}
	if s.fromNow {
		n = 0
	}
	dirs := s.dirs()
	if len(dirs) == 0 && len(s.names) == 0 && !s.fromNow {
		fmt.Fprintln(os.Stderr, "tend: no daemons yet; waiting for some to start (Ctrl-C to stop)")
	}
	for _, d := range dirs {
		s.width = max(s.width, len(d.Name))
		start(d, n)
	}
	p := newLinePrinter(s.width)
	if s.out != nil {
		p.w = s.out
	}
	var batch []logLine
	flush := time.NewTicker(batchDelay)
	defer flush.Stop()
	rescan := time.NewTicker(time.Second)
	defer rescan.Stop()
	newLogs := func() {
		for _, d := range s.dirs() {
			if !followed[d.Name] {
				p.width = max(p.width, len(d.Name))
				start(d, -1) // from its first line: it is new
			}
		}
	}
	// Once ctx is done, the logs that appeared since the last look are
	// followed too, each follower reads its log to the end and returns,
	// and all is printed when the last one has.
	done, ended := ctx.Done(), make(chan struct{})
	for {
		select {
		case <-done:
			done = nil
			newLogs()
			go func() {
				wg.Wait()
				close(ended)
			}()
		case <-ended:
			for len(lines) > 0 {
				batch = append(batch, <-lines)
			}
			p.write(sortLines(batch))
			return nil
		case l := <-lines:
			batch = append(batch, l)
		case <-flush.C:
			p.write(sortLines(batch))
			batch = batch[:0]
		case <-rescan.C:
			if done != nil {
				newLogs()
			}
		}
	}
}

// batchDelay is how long follow collects lines before it prints them in
// time order: logcap.Follow polls every 50 ms.
const batchDelay = 100 * time.Millisecond

// followLog follows one daemon's log into lines, waiting for the log to
// exist, until ctx is done and the log is read to its end (at once, if
// ctx is done already). n < 0 means every line.
func followLog(ctx context.Context, d state.Dir, n int, filter logcap.Filter, lines chan<- logLine) {
	w := &lineSplitter{name: d.Name, out: lines}
	for {
		err := logcap.Follow(ctx, daemonLog(d), n, w, filter)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return
		}
		// No log yet: it is starting. Once it appears, it is new: every
		// line of it is shown.
		n = -1
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lineSplitter is the io.Writer Follow writes to: it sends whole lines on.
type lineSplitter struct {
	name string
	out  chan<- logLine // read until every follower has returned
	buf  []byte
	last time.Time
	seq  int
}

func (w *lineSplitter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		r := logcap.Parse(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
		if r.Time.IsZero() {
			r.Time = w.last
			if r.Time.IsZero() {
				r.Time = time.Now()
			}
		}
		w.last = r.Time
		w.seq++
		w.out <- logLine{name: w.name, rec: r, seq: w.seq}
	}
}

// linePrinter writes lines as "15:04:05 NAME | TEXT", the name colored on
// a terminal, each daemon its own color.
type linePrinter struct {
	w      io.Writer
	width  int
	colors bool
	color  map[string]string
}

func newLinePrinter(width int) *linePrinter {
	return &linePrinter{w: os.Stdout, width: width, colors: colors(os.Stdout), color: map[string]string{}}
}

// nameColor is the color of the i-th daemon shown: cyan, yellow, green,
// magenta, blue, then their bright forms, in turn.
func nameColor(i int) string {
	return fmt.Sprintf("\x1b[%dm", []int{36, 33, 32, 35, 34, 96, 93, 92, 95, 94}[i%10])
}

func (p *linePrinter) write(lines []logLine) {
	if len(lines) == 0 {
		return
	}
	var b strings.Builder
	for _, l := range lines {
		stamp := "        "
		if !l.rec.Time.IsZero() {
			stamp = l.rec.Time.Local().Format("15:04:05")
		}
		name := l.name + strings.Repeat(" ", max(0, p.width-len(l.name)))
		bar := "|"
		if p.colors {
			c, ok := p.color[l.name]
			if !ok {
				c = nameColor(len(p.color))
				p.color[l.name] = c
			}
			name = c + name + ansiReset
			if l.rec.Stream == logcap.Stderr {
				bar = ansiRed + "|" + ansiReset
			}
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", stamp, name, bar, l.rec.Text)
	}
	io.WriteString(p.w, b.String())
}
