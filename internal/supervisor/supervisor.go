package supervisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/watch"
)

// Config says what a Supervisor runs and where it keeps its state.
type Config struct {
	Definition *definition.Definition
	// Dir is the daemon's folder. The zero Dir (a nameless `tend run`)
	// keeps no state: no record, no control socket, no event log.
	Dir statedir.Dir
	// Passthrough gives the daemon the supervisor's own stdout and stderr
	// instead of a captured log, when Definition.Log is empty (`tend run`
	// in a container, whose runtime collects the output).
	Passthrough bool
	// NoCgroup keeps the daemon out of a cgroup of its own even where one
	// could be made: its processes are then tracked as the supervisor's
	// descendants (it is their subreaper). The environment variable
	// TEND_CGROUP=off does the same.
	NoCgroup bool
	// Reaper forks the daemon's processes and tells of their exits; nil
	// means this program's own (LocalProcesses). Every supervisor of a
	// program that shares Processes must share its Reaper.
	Reaper *Reaper
	// Keeper, when not nil, keeps the descriptors that must outlive the
	// program (a host's): output pipes, sockets.
	Keeper Keeper
	// Resume, when not nil, takes the daemon over from a host that
	// died (see resume.go), instead of starting it.
	Resume *Resumption
	// NoControl leaves out the daemon's own control socket: it is
	// controlled through its host's, which calls the methods.
	NoControl bool
	// Watcher watches the daemon's folder for its removal; nil means one
	// of its own. A program that runs many supervisors shares one: a
	// user has few inotify instances.
	Watcher *watch.Watcher
	// OnChange, when not nil, is called after each change of the record
	// (on the loop: it must not block, nor call the supervisor back), and
	// once more when the supervisor has ended: then Done is closed.
	OnChange func()
}

// CgroupEnv, set to "off", is Config.NoCgroup for supervisors that tend
// starts.
const CgroupEnv = "TEND_CGROUP"

// Supervisor runs one daemon. Its state belongs to one goroutine, the
// loop, which the machine (machine.go) tells what to do; every other
// goroutine (the reaper, timers, readiness and health probes, the notify
// socket, the control socket, the folder watch) sends it messages through
// its inbox. The exported methods are safe for concurrent use.
type Supervisor struct {
	cfg   Config
	def   *definition.Definition
	inbox inbox

	// Fixed at Start.
	self     proc.Identity
	invID    string
	events   *slog.Logger
	closer   io.Closer
	reaper   *Reaper
	spawner  spawner
	tracker  tracker
	readying *readiness
	output   *output

	// The loop's own.
	mcfg            machineConfig
	insts           []*instance
	byInc           map[int]*instance // the instance of each live incarnation
	lastInc         int               // the last incarnation id given
	pendingVerdicts int               // instances whose first verdict the start waits for
	verdictSent     bool
	incs            map[int]*running
	limitNotes      []string // limits that could not be set, for status
	memoryPolled    bool     // --memory-max is checked by the loop
	// candidate is the definition a reload under way starts from.
	candidate    *spawner
	candidateDef *definition.Definition
	rec          status.Record
	server       *control.Server
	serving      sync.WaitGroup // the control servers, until their requests are answered
	watch        *folderWatch
	hooks        hooks
	files        *fileWatch // --watch
	pidf         *pidfile.File
	finished     bool
	answers      []any // replies and verdicts to deliver once the record is written
	// exitsToRecord are the main processes whose exits the next record
	// writes: the reaper may forget them once it is written.
	exitsToRecord []int
	// written is the record on disk as of the last write that worked,
	// without its time: a record that has not changed is not written
	// again (a request that changes nothing, a status asked for).
	written []byte

	verdict     chan error    // the first incarnation's verdict, once
	ended       chan struct{} // closed when the loop has ended and written its last record
	done        chan struct{} // closed when the supervisor has let go of everything
	lastMu      sync.Mutex
	last        status.Record // the record as of the last message, for Record
	changed     chan struct{} // closed and replaced when last changes, for Changed
	shutdownErr error
}

// Start sets up the log, the sockets and the record, and starts the
// daemon's first incarnation. An error means nothing runs: the command
// could not be started, or the supervisor's own setup failed. It must run
// under the daemon's lock (the supervisor pidfile).
func Start(cfg Config) (*Supervisor, error) {
	def := cfg.Definition
	s := &Supervisor{
		cfg: cfg, def: def, incs: map[int]*running{}, byInc: map[int]*instance{},
		verdict: make(chan error, 1), ended: make(chan struct{}), done: make(chan struct{}),
		mcfg: newMachineConfig(def),
	}
	s.inbox.init()
	s.reaper = cfg.Reaper
	if s.reaper == nil {
		proc.SetChildSubreaper() // every process the daemon forks stays ours to find and reap
		s.reaper = sharedReaper()
	}
	self, err := proc.Self()
	if err != nil {
		return nil, err
	}
	s.self = self
	s.invID = newInvocationID()
	s.rec = status.Record{Name: def.Name, Command: def.Command, Supervisor: self, State: status.Starting,
		WantUp: true, InvocationID: s.invID}
	if rs := cfg.Resume; rs != nil {
		// The daemon's processes carry the invocation id they were
		// started with; its limits and log errors are the record's.
		s.rec = rs.Record
		s.rec.Supervisor = self
		if rs.Record.InvocationID != "" {
			s.invID = rs.Record.InvocationID
		}
	}
	if s.stateful() {
		// A supervisor killed mid-write (kill -9, the OOM killer) leaves
		// a temporary file; we hold the lock, so none is being written.
		cfg.Dir.RemoveTemps()
		if cfg.Resume == nil {
			if err := s.refuseLeftovers(); err != nil {
				return nil, err
			}
			// Atomic now, durable once the daemon runs (syncDurably,
			// below): its fsyncs cost milliseconds on the start path.
			if err := statedir.WriteVolatileJSON(cfg.Dir.DefinitionFile(), def, 0o600); err != nil {
				return nil, err
			}
		}
		s.events, s.closer, err = logcap.NewEventLogger(cfg.Dir.EventLog())
		if err != nil {
			return nil, err
		}
	} else {
		s.events = slog.New(slog.DiscardHandler)
	}
	fail := func(err error) (*Supervisor, error) {
		s.release()
		return nil, err
	}
	if s.spawner, err = newSpawner(def); err != nil {
		return fail(err)
	}
	if s.output, err = openOutput(s, cfg); err != nil {
		return fail(err)
	}
	if s.readying, err = setupReadiness(s); err != nil {
		return fail(err)
	}
	s.tracker = newTracker(s, cfg)
	s.rec.Cgroup = s.tracker.path()
	s.applyControls()
	s.rec.Limits, s.rec.LimitNotes = limitList(def), s.limitNotes
	s.rec.Log = s.output.path()
	s.reaper.subscribe(s)
	// Write-ahead: where the daemon's processes will be is on disk before
	// the first of them exists, so that nothing it starts is ever
	// invisible to a later tend, whenever this supervisor dies.
	if err := s.writeRecord(); err != nil && s.stateful() {
		return fail(err)
	}
	crashAt("start-setup")
	if cfg.Resume != nil {
		s.resume(cfg.Resume)
	} else {
		n := def.InstanceCount()
		for i := range n {
			s.addInstance(i)
		}
		s.pendingVerdicts = n
		for _, in := range s.insts {
			s.step(in, event{kind: evStart})
		}
	}
	if s.finished {
		// The command could not be started at all.
		s.answers = nil
		err := errors.New(s.insts[0].m.err)
		s.events.Error("start failed", "err", err.Error())
		s.writeRecord()
		s.release()
		return nil, fmt.Errorf("cannot start %s: %w", def.Name, err)
	}
	s.writeRecord() // on disk before anyone is told it runs
	crashAt("start-spawned")
	if s.stateful() {
		if !cfg.NoControl {
			if err := s.listen(); err != nil {
				s.killAll()
				s.release()
				return nil, err
			}
		}
		s.watch = watchFolder(s)
	}
	s.files = watchFiles(s)
	crashAt("start-listening")
	if s.stateful() {
		go syncDurably(cfg.Dir.DefinitionFile())
	}
	s.publish()
	s.deliver()
	go s.loop()
	return s, nil
}

func (s *Supervisor) stateful() bool { return s.cfg.Dir.Path != "" }

func newInvocationID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// refuseLeftovers keeps a new supervisor from starting a second copy while
// processes of a supervisor that was killed still run.
func (s *Supervisor) refuseLeftovers() error {
	var old status.Record
	if err := statedir.ReadJSON(s.cfg.Dir.StatusFile(), &old); err != nil {
		return nil // no usable record: nothing to protect
	}
	if ids := old.Processes(); len(ids) > 0 {
		return fmt.Errorf("%s's processes (pid %s) still run without a supervisor; stop them first with: tend stop %s",
			s.def.Name, pidList(ids), s.def.Name)
	}
	return nil
}

// WaitReady waits for the verdict on the first incarnation: nil once it
// is ready (per --ready), else why not: it exited first, could not be
// started, or the ready timeout passed. The caller then stops the daemon.
func (s *Supervisor) WaitReady(ctx context.Context) error {
	select {
	case err := <-s.verdict:
		s.verdict <- err // for the next caller
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wait blocks until the daemon will not run again (stopped, failed, or
// exited under its restart policy) or ctx is done, in which case it stops
// the daemon. It then returns the exit status of the last main process
// (128+N after signal N), for `tend run`.
func (s *Supervisor) Wait(ctx context.Context) int {
	select {
	case <-s.done:
	case <-ctx.Done():
		s.Stop(context.Background())
		<-s.done
	}
	rec := s.Record()
	if rec.LastExit != nil && rec.LastExit.Code > 0 {
		return rec.LastExit.Code
	}
	return 0
}

// Done is closed when the supervisor has ended: nothing of the daemon
// runs, the last record is written and the sockets are closed.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Record returns the daemon's record as of the last change.
func (s *Supervisor) Record() status.Record {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	return s.last
}

// Changed returns a channel that is closed at the record's next change, so
// that a caller can follow the record without polling: take the channel,
// read Record, wait for the channel, repeat.
func (s *Supervisor) Changed() <-chan struct{} {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// loop is the supervisor's one goroutine that owns its state.
func (s *Supervisor) loop() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := time.Time{}
	for !s.finished {
		if d := s.nextDeadline(); !d.Equal(armed) {
			timer.Stop()
			armed = d
			if !d.IsZero() {
				timer.Reset(time.Until(d))
			}
		}
		select {
		case <-s.inbox.wake:
			for _, msg := range s.inbox.take() {
				s.handle(msg)
			}
		case <-timer.C:
			armed = time.Time{}
			s.tick(time.Now())
		}
		s.writeRecord()
		s.reaper.recorded(s.exitsToRecord)
		s.exitsToRecord = nil
		s.publish()
		s.deliver()
	}
	s.shutdown()
}

// publish makes the record visible to Record.
func (s *Supervisor) publish() {
	s.fillRecord()
	s.lastMu.Lock()
	s.last = s.rec
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	s.lastMu.Unlock()
	if s.cfg.OnChange != nil {
		s.cfg.OnChange()
	}
}

// shutdown closes the control socket (after in-flight answers), then the
// output pipes, waits for the capture to write what is left, and closes
// the logs. Messages that arrive meanwhile are dropped: requests among
// them see Done closed.
func (s *Supervisor) shutdown() {
	crashAt("stop-stopped")
	s.finishHooks()
	s.files.close()
	if s.watch != nil {
		s.watch.close()
	}
	s.fillRecord()
	s.writeRecord()
	s.publish()
	s.reaper.unsubscribe(s)
	close(s.ended)
	if s.server != nil {
		s.server.Close()
	}
	s.serving.Wait()
	s.release()
	close(s.done)
	if s.cfg.OnChange != nil {
		s.cfg.OnChange()
	}
}

// release frees what Start set up.
func (s *Supervisor) release() {
	s.forget("") // before the pipes are drained: see Keeper.Forget
	if s.readying != nil {
		s.readying.close()
	}
	if s.output != nil {
		s.output.close(s.events)
	}
	if s.tracker != nil {
		s.tracker.close()
	}
	if s.reaper != nil {
		s.reaper.unsubscribe(s)
	}
	if s.closer != nil {
		s.closer.Close()
	}
}

func pidList(ids []proc.Identity) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(id.PID)
	}
	return out
}
