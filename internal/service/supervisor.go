package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervise"
)

// Config says what a Supervisor runs and where it keeps its state.
type Config struct {
	Definition *Definition
	// Dir is the daemon's folder. The zero Dir (a nameless `tend run`)
	// keeps no state: no record, no control socket, no event log.
	Dir state.Dir
	// Passthrough gives the child the supervisor's own stdout and stderr
	// instead of a captured log, when Definition.Log is empty (`tend run`
	// in a container, whose runtime collects the output).
	Passthrough bool
}

// Supervisor runs one daemon: its child, the capture of its output, its
// control socket and its status record.
type Supervisor struct {
	cfg    Config
	def    *Definition
	events *slog.Logger
	closer io.Closer
	log    *logcap.Log
	pipes  []*os.File // write ends given to the child; ours to close
	reads  sync.WaitGroup
	proc   *supervise.Process
	server *control.Server
	served chan struct{}
	rd     *readiness // --ready, --watchdog, --health, --listen

	// keepFolder's, while it runs; see folder.go.
	watchQuit, watchDone chan struct{}
	pidf                 *pidfile.File

	mu      sync.Mutex
	rec     Record
	sealed  bool          // the final record is written; write no more
	stopped chan struct{} // closed when a stop was requested
	stopOne sync.Once
}

// Start sets up the log, the control socket and the record, and starts the
// child. An error means nothing runs: the command could not be started, or
// the supervisor's own setup failed. It must run under the daemon's lock
// (the supervisor pidfile).
func Start(cfg Config) (*Supervisor, error) {
	s := &Supervisor{cfg: cfg, def: cfg.Definition, stopped: make(chan struct{})}
	proc.SetChildSubreaper() // descendants that leave the group are still ours to find and reap
	self, err := proc.Self()
	if err != nil {
		return nil, err
	}
	if mask, err := s.def.umask(); err == nil {
		unix.Umask(int(mask))
	}
	s.rec = Record{Name: s.def.Name, Command: s.def.Command, Supervisor: self}
	if s.stateful() {
		if err := s.refuseLostChild(); err != nil {
			return nil, err
		}
		// A supervisor killed mid-write (kill -9, the OOM killer) leaves
		// a temporary file; we hold the lock, so none is being written.
		cfg.Dir.RemoveTemps()
		// Atomic now, durable once the child runs (syncDurably, below):
		// its two fsyncs cost milliseconds on the start path (bench/).
		if err := state.WriteVolatileJSON(cfg.Dir.DefinitionFile(), s.def, 0o600); err != nil {
			return nil, err
		}
		s.events, s.closer, err = logcap.NewEventLogger(cfg.Dir.EventLog())
		if err != nil {
			return nil, err
		}
	} else {
		s.events = slog.New(slog.DiscardHandler)
	}
	spec, err := s.def.Spec()
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.openOutput(&spec); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.setupReadiness(&spec); err != nil {
		s.cleanup()
		return nil, err
	}
	crashAt("start-setup")
	s.proc = supervise.New(spec, s.changed)
	if err := s.proc.Start(); err != nil {
		s.events.Error("start failed", "err", err)
		snap := s.proc.Snapshot()
		s.update(func(r *Record) { r.Snapshot = snap; r.State = supervise.Stopped; r.Err = err.Error() })
		s.cleanup()
		return nil, fmt.Errorf("cannot start %s: %w", s.def.Name, err)
	}
	snap := s.proc.Snapshot()
	s.update(func(r *Record) { r.Snapshot = snap }) // on disk before anyone is told it runs
	crashAt("start-spawned")
	if s.stateful() {
		if err := s.listen(); err != nil {
			s.proc.Stop(context.Background())
			s.cleanup()
			return nil, err
		}
	}
	if s.stateful() {
		s.watchQuit, s.watchDone = make(chan struct{}), make(chan struct{})
		go s.keepFolder(s.watchQuit, s.watchDone)
	}
	crashAt("start-listening")
	if s.stateful() {
		go syncDurably(cfg.Dir.DefinitionFile())
	}
	return s, nil
}

func (s *Supervisor) stateful() bool { return s.cfg.Dir.Path != "" }

// refuseLostChild keeps a new supervisor from starting a second copy while
// the child of a supervisor that was killed still runs.
func (s *Supervisor) refuseLostChild() error {
	var old Record
	if err := state.ReadJSON(s.cfg.Dir.StatusFile(), &old); err != nil {
		return nil // no usable record: nothing to protect
	}
	if child := old.Child(); child.PID > 0 && child.Alive() {
		return fmt.Errorf("%s's previous process (pid %d) still runs without a supervisor; stop it first with: tend stop %s",
			s.def.Name, child.PID, s.def.Name)
	}
	return nil
}

// openOutput gives the child its stdout and stderr: pipes into the log
// capture, or the supervisor's own in passthrough mode.
func (s *Supervisor) openOutput(spec *supervise.Spec) error {
	if s.cfg.Passthrough && s.def.Log == "" {
		spec.Stdout, spec.Stderr = os.Stdout, os.Stderr
		return nil
	}
	path := s.def.Log
	if path == "" {
		path = s.cfg.Dir.LogFile()
	}
	l, err := logcap.Open(logcap.Options{
		Path:         path,
		MaxSize:      s.def.LogMaxSize,
		MaxFiles:     s.def.LogMaxFiles,
		Compress:     s.def.LogCompress,
		NoTimestamps: s.def.NoTimestamps,
		// Bare lines: no stream name either, so that capture takes the
		// fast path that writes whole lines straight from the pipe.
		NoStreamNames: s.def.NoTimestamps,
		OnEvent:       s.logEvent,
	})
	if err != nil {
		return err
	}
	s.log = l
	s.rec.Log = path
	for _, stream := range []string{logcap.Stdout, logcap.Stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("pipe for %s: %w", stream, err)
		}
		s.pipes = append(s.pipes, w)
		s.reads.Add(1)
		go func() {
			defer s.reads.Done()
			defer r.Close()
			l.Capture(stream, r)
		}()
	}
	spec.Stdout, spec.Stderr = s.pipes[0], s.pipes[1]
	return nil
}

func (s *Supervisor) logEvent(ev logcap.Event) {
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
		s.update(func(r *Record) {})
	}
}

// changed receives every transition of the child and records it.
func (s *Supervisor) changed(snap supervise.Snapshot) {
	switch snap.State {
	case supervise.Running:
		s.events.Info("started", "pid", snap.PID, "restarts", snap.Restarts)
	case supervise.BackingOff:
		s.events.Warn("exited; restarting", "how", exitText(snap.LastExit), "in", time.Until(snap.NextStart).Round(time.Millisecond).String())
	case supervise.Failed:
		s.events.Error("failed", "how", exitText(snap.LastExit), "err", snap.Err)
	case supervise.Exited:
		s.events.Info("exited", "how", exitText(snap.LastExit))
	case supervise.Stopped:
		s.events.Info("stopped", "how", exitText(snap.LastExit))
	}
	// Record the latest state, not snap: deliveries may trail behind a
	// transition that Start or Wait has already recorded.
	latest := s.proc.Snapshot()
	s.rd.track(latest)
	s.update(func(r *Record) { r.Snapshot = latest })
}

func exitText(e *supervise.Exit) string {
	if e == nil {
		return ""
	}
	return e.Description
}

// update changes the record and writes it. A failed write is logged, not
// fatal: the daemon goes on, and status falls back on what it can see.
func (s *Supervisor) update(f func(*Record)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.rec)
	if s.rd != nil {
		s.rd.fill(&s.rec)
	}
	if s.log != nil {
		st := s.log.Stats()
		s.rec.LostLines = st.LostLines
		s.rec.LogError = ""
		if st.Err != nil {
			s.rec.LogError = st.Err.Error()
		}
	}
	s.rec.UpdatedAt = time.Now()
	if !s.stateful() || s.sealed {
		return
	}
	if err := state.WriteVolatileJSON(s.cfg.Dir.StatusFile(), &s.rec, 0o600); err != nil {
		s.events.Error("write status", "err", err)
	}
}

// Snapshot returns a copy of the current record.
func (s *Supervisor) Snapshot() Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

func (s *Supervisor) listen() error {
	srv, err := control.Listen(s.cfg.Dir.Socket())
	if err != nil {
		return err
	}
	srv.Logf = func(format string, args ...any) { s.events.Warn(fmt.Sprintf(format, args...)) }
	s.server = srv
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		srv.Serve(context.Background(), s.handle)
	}()
	return nil
}

// StopResult is the data of a stop response.
type StopResult struct {
	Description string `json:"description"`
}

// SignalResult is the data of a signal response.
type SignalResult struct {
	PID int `json:"pid"`
}

// handle answers the CLI.
func (s *Supervisor) handle(ctx context.Context, req control.Request) control.Response {
	switch req.Op {
	case "status":
		// Asked only when the record on disk cannot be read: rewrite it.
		s.update(func(*Record) {})
		return reply(s.Snapshot(), nil)
	case "stop":
		how, err := s.Stop(ctx)
		return reply(StopResult{Description: how}, err)
	case "signal":
		sig, err := parseSignal(req.Signal)
		if err != nil {
			return reply(nil, err)
		}
		snap := s.proc.Snapshot()
		if err := s.proc.Signal(sig, req.Group); err != nil {
			return reply(nil, err)
		}
		s.events.Info("signal sent", "signal", proc.SignalName(sig), "pid", snap.PID, "group", req.Group)
		return reply(SignalResult{PID: snap.PID}, nil)
	case "rotate":
		return reply(nil, s.withLog((*logcap.Log).Rotate))
	case "restart":
		pid, err := s.Restart(ctx)
		return reply(RestartResult{PID: pid}, err)
	case "reopen":
		return reply(nil, s.withLog((*logcap.Log).Reopen))
	}
	return reply(nil, fmt.Errorf("unknown request %q", req.Op))
}

func (s *Supervisor) withLog(op func(*logcap.Log) error) error {
	if s.log == nil {
		return errors.New("this daemon's output is not captured by tend")
	}
	return op(s.log)
}

func reply(data any, err error) control.Response {
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	resp := control.Response{OK: true}
	if data != nil {
		b, jerr := json.Marshal(data)
		if jerr != nil {
			return control.Response{Error: jerr.Error()}
		}
		resp.Data = b
	}
	return resp
}

// Signal sends sig to the child (or its whole group).
func (s *Supervisor) Signal(sig syscall.Signal, group bool) error { return s.proc.Signal(sig, group) }

// Stop runs the stop schedule and returns how the child ended. Later calls
// wait for the same result.
func (s *Supervisor) Stop(ctx context.Context) (string, error) {
	s.stopOne.Do(func() {
		s.events.Info("stop requested")
		close(s.stopped)
	})
	crashAt("stop-requested")
	exit, err := s.proc.Stop(ctx)
	if err != nil {
		return "", err
	}
	crashAt("stop-stopped")
	if exit == nil {
		return "was not running", nil
	}
	return exit.Description, nil
}

// Wait blocks until the child will not run again (stopped, failed, or exited
// under its restart policy) or ctx is done, in which case it stops the
// child. It then shuts the supervisor down and returns the exit status of
// the last child (128+N after signal N), for `tend run`.
func (s *Supervisor) Wait(ctx context.Context) int {
	select {
	case <-s.proc.Done():
	case <-ctx.Done():
		s.Stop(context.Background())
	}
	<-s.proc.Done()
	snap := s.proc.Snapshot()
	s.shutdown()
	if snap.LastExit != nil {
		return snap.LastExit.Code
	}
	return 0
}

// shutdown closes the control socket (after in-flight answers), then the
// output pipes, waits for the capture to write what is left, and closes
// the logs.
func (s *Supervisor) shutdown() {
	if s.watchQuit != nil {
		close(s.watchQuit)
		<-s.watchDone
	}
	if s.server != nil {
		s.server.Close()
		<-s.served
	}
	snap := s.proc.Snapshot()
	s.update(func(r *Record) { r.Snapshot = snap })
	s.cleanup()
	// The process exits next: a late update from another goroutine (a
	// change delivery trailing the last transition) must not be cut off
	// halfway and leave its temporary file behind.
	s.mu.Lock()
	s.sealed = true
	s.mu.Unlock()
}

func (s *Supervisor) cleanup() {
	for _, w := range s.pipes {
		w.Close()
	}
	s.pipes = nil
	if s.rd != nil {
		s.rd.close()
	}
	drained := make(chan struct{})
	go func() { s.reads.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		// A descendant we could not stop still holds a pipe; what it wrote
		// so far is in the log.
		s.events.Warn("output pipe still held open after stop; closing the log anyway")
	}
	if s.log != nil {
		s.log.Close()
	}
	if s.closer != nil {
		s.closer.Close()
	}
}

func parseSignal(s string) (syscall.Signal, error) { return proc.ParseSignal(s) }
