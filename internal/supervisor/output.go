package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
)

// output is where the daemon's stdout and stderr go: pipes into the log
// capture, which outlive incarnations (a restart loses no line), or the
// supervisor's own in passthrough mode. Each instance has its own pipes,
// so that its lines say which instance wrote them. Standard input is
// /dev/null.
type output struct {
	stdin  *os.File
	log    *logcap.Log
	logf   string
	reads  sync.WaitGroup
	passth bool
	insts  []*instanceOutput
}

// instanceOutput is one instance's stdout and stderr.
type instanceOutput struct {
	o              *output
	stdout, stderr *os.File // write ends given to every incarnation; ours to close
	// lines looks for the line of --ready log:REGEX in both streams,
	// armed by each incarnation before it starts.
	lines logcap.LineWatch
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
	return o, nil
}

// forInstance makes instance n's pipes into the log; with named, its lines
// are marked with its number (stdout.2). A pipe that cannot be made leaves
// the instance's output on /dev/null, with the reason in the event log.
func (o *output) forInstance(s *Supervisor, n int, named bool) *instanceOutput {
	io := &instanceOutput{o: o}
	watched := s.def.Readiness().Kind == definition.ReadyLog
	if o.passth && watched {
		return o.passWatched(s, io)
	}
	if o.passth {
		io.stdout, io.stderr = os.Stdout, os.Stderr
		return io
	}
	// The pipes of a daemon taken over from a host that died: what was
	// written meanwhile waits in them.
	key := fmt.Sprintf("out/%d", n)
	kept := s.kept(key)
	if len(kept) != 4 {
		for _, f := range kept {
			f.Close()
		}
		kept = nil
	}
	var ends, all []*os.File
	for i, stream := range []string{logcap.Stdout, logcap.Stderr} {
		var r, w *os.File
		var err error
		if kept != nil {
			r, w = kept[2*i], kept[2*i+1]
		} else if r, w, err = os.Pipe(); err != nil {
			s.events.Error("no pipe for the output: it goes to /dev/null", "instance", n, "err", err.Error())
			for _, e := range ends {
				e.Close()
			}
			return io
		}
		ends, all = append(ends, w), append(all, r, w)
		name := stream
		if named {
			name = logcap.InstanceStream(stream, n)
		}
		o.reads.Add(1)
		go func() {
			defer o.reads.Done()
			defer r.Close()
			if watched {
				o.log.CaptureWatched(name, r, &io.lines)
			} else {
				o.log.Capture(name, r)
			}
		}()
	}
	io.stdout, io.stderr = ends[0], ends[1]
	o.insts = append(o.insts, io)
	if kept == nil {
		s.keep(key, all...)
	}
	return io
}

// passWatched passes the instance's output through to the supervisor's
// own stdout and stderr by pipes, whose lines --ready log:REGEX looks at.
func (o *output) passWatched(s *Supervisor, io *instanceOutput) *instanceOutput {
	var ends []*os.File
	for _, dst := range []*os.File{os.Stdout, os.Stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			s.events.Error("no pipe for the output: it goes to /dev/null", "err", err.Error())
			for _, e := range ends {
				e.Close()
			}
			return io
		}
		ends = append(ends, w)
		o.reads.Add(1)
		go func() {
			defer o.reads.Done()
			defer r.Close()
			logcap.CopyWatched(dst, r, &io.lines)
		}()
	}
	io.stdout, io.stderr = ends[0], ends[1]
	o.insts = append(o.insts, io)
	return io
}

// files returns the instance's stdout and stderr (nil: /dev/null).
func (io *instanceOutput) files() (stdout, stderr *os.File) { return io.stdout, io.stderr }

// close closes an instance's pipes once it has gone for good (scale).
func (io *instanceOutput) close() {
	if io.o.passth && io.stdout == os.Stdout {
		return
	}
	for _, f := range []*os.File{io.stdout, io.stderr} {
		if f != nil {
			f.Close()
		}
	}
	io.stdout, io.stderr = nil, nil
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
	for _, io := range o.insts {
		io.close()
	}
	o.insts = nil
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
