package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/logcap"
)

// output is where the daemon's stdout and stderr go: pipes into the log
// capture, which outlive incarnations (a restart loses no line), or the
// supervisor's own in passthrough mode. Standard input is /dev/null.
type output struct {
	stdin  *os.File
	log    *logcap.Log
	logf   string
	pipes  []*os.File // write ends given to every incarnation; ours to close
	reads  sync.WaitGroup
	passth bool
}

func openOutput(s *Supervisor, cfg Config) (*output, error) {
	o := &output{}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	o.stdin = null
	def := s.def
	if cfg.Passthrough && def.Log == "" {
		o.passth = true
		return o, nil
	}
	path := def.Log
	if path == "" {
		path = cfg.Dir.LogFile()
	}
	l, err := logcap.Open(logcap.Options{
		Path:         path,
		MaxSize:      def.LogMaxSize,
		MaxFiles:     def.LogMaxFiles,
		Compress:     def.LogCompress,
		NoTimestamps: def.NoTimestamps,
		// Bare lines: no stream name either, so that capture takes the
		// fast path that writes whole lines straight from the pipe.
		NoStreamNames: def.NoTimestamps,
		OnEvent:       func(ev logcap.Event) { logEvent(s, ev) },
	})
	if err != nil {
		null.Close()
		return nil, err
	}
	o.log, o.logf = l, path
	for _, stream := range []string{logcap.Stdout, logcap.Stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			o.close(s.events)
			return nil, fmt.Errorf("pipe for %s: %w", stream, err)
		}
		o.pipes = append(o.pipes, w)
		o.reads.Add(1)
		go func() {
			defer o.reads.Done()
			defer r.Close()
			l.Capture(stream, r)
		}()
	}
	return o, nil
}

// files returns the daemon's stdout and stderr.
func (o *output) files() (stdout, stderr *os.File) {
	if o.passth {
		return os.Stdout, os.Stderr
	}
	return o.pipes[0], o.pipes[1]
}

func (o *output) path() string { return o.logf }

// stats says whether the log can be written, and what was lost.
func (o *output) stats() (lost int64, err error) {
	if o.log == nil {
		return 0, nil
	}
	st := o.log.Stats()
	return st.LostLines, st.Err
}

// close closes the pipes, waits for the capture to write what is left
// (not forever: a process that escaped the stop may hold a pipe), and
// closes the log.
func (o *output) close(events *slog.Logger) {
	for _, w := range o.pipes {
		w.Close()
	}
	o.pipes = nil
	drained := make(chan struct{})
	go func() { o.reads.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		events.Warn("output pipe still held open after stop; closing the log anyway")
	}
	if o.log != nil {
		o.log.Close()
	}
	if o.stdin != nil {
		o.stdin.Close()
	}
}

// logEvent writes the log capture's events into the event log, and tells
// the loop when the capture's condition changed.
func logEvent(s *Supervisor, ev logcap.Event) {
	attrs := []any{"event", ev.Kind.String(), "path", ev.Path}
	if ev.Err != nil {
		attrs = append(attrs, "err", ev.Err.Error())
	}
	if ev.Lines > 0 {
		attrs = append(attrs, "lost_lines", ev.Lines, "lost_bytes", ev.Bytes)
	}
	level := slog.LevelInfo
	if ev.Kind == logcap.EventWriteFailed || ev.Kind == logcap.EventCompressFailed || ev.Kind == logcap.EventRotateFailed {
		level = slog.LevelWarn
	}
	s.events.Log(context.Background(), level, "log", attrs...)
	if ev.Kind == logcap.EventWriteFailed || ev.Kind == logcap.EventRecovered {
		s.inbox.post(logChanged{})
	}
}
