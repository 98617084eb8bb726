package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// state is a row of the table: where the daemon is.
type state uint8

const (
	stDown       state = iota // nothing runs: not started yet, or stopped on request
	stStarting                // an incarnation runs and is not ready yet
	stUp                      // the incarnation is ready
	stBackoff                 // the incarnation ended; the next one is due at the deadline
	stStopping                // the stop schedule ends the incarnation; then down
	stRestarting              // the stop schedule ends the incarnation; then a new one
	stEnding                  // the main process failed; the stop schedule ends the rest; then the policy
	stFailed                  // could not be started, or the start limit was hit
	stExited                  // ended, and the policy does not restart it
	nStates
)

var stateNames = [nStates]string{"down", "starting", "up", "backoff", "stopping", "restarting", "ending", "failed", "exited"}

func (s state) String() string { return stateNames[s] }

// status is how the state reads to users.
func (s state) status() status.State {
	return [nStates]status.State{status.Stopped, status.Starting, status.Running, status.BackingOff,
		status.Stopping, status.Restarting, status.Stopping, status.Failed, status.Exited}[s]
}

func (s state) final() bool { return s == stDown || s == stFailed || s == stExited }

// eventKind is a column of the table: what happened.
type eventKind uint8

const (
	evStart       eventKind = iota // bring the daemon up (the supervisor's first act)
	evStop                         // request: bring it down
	evRestart                      // request: replace the incarnation now
	evSpawned                      // the incarnation's first process runs
	evSpawnFailed                  // it could not be started
	evMainExit                     // the main process ended
	evEmpty                        // the incarnation has no process left
	evReady                        // the readiness condition holds
	evNotReady                     // the ready timeout passed first
	evFault                        // the watchdog or the daemon itself asks for a restart
	evPing                         // a watchdog keep-alive (WATCHDOG=1)
	evHealth                       // a health probe's result
	evTimer                        // the state's deadline passed (backoff over, stop step over)
	evAdopted                      // a new main process was chosen (or none could be)
	nEvents
)

var eventNames = [nEvents]string{"start", "stop", "restart", "spawned", "spawn-failed", "main-exit", "empty",
	"ready", "not-ready", "fault", "ping", "health", "timer", "adopted"}

func (e eventKind) String() string { return eventNames[e] }

// event is one input of the machine. Events about an incarnation carry its
// id; those of an incarnation that is no longer the current one are
// dropped before the table is consulted.
type event struct {
	kind eventKind
	at   time.Time
	inc  int
	main proc.Identity // evSpawned, evAdopted (zero: none could be chosen)
	how  string        // evAdopted: how it was found; evFault, evNotReady: why
	exit *status.Exit  // evMainExit, evSpawnFailed
	// empty is set on evMainExit when no other process of the incarnation
	// is left: the supervisor looks right after it reaps the main process.
	empty  bool
	ok     bool    // evHealth
	result string  // evHealth
	reply  *waiter // evStop, evRestart
}

// waiter is a request that is answered when the machine gets there.
type waiter struct {
	c chan result
}

func newWaiter() *waiter { return &waiter{c: make(chan result, 1)} }

// result is the answer to a stop or restart request.
type result struct {
	how string // stop: how the main process ended
	pid int    // restart: the new main process
	err error
}

// Errors of restart and stop requests.
var (
	// ErrStopped answers a restart of a daemon that is stopping or has
	// ended: its supervisor is on its way out.
	ErrStopped = errors.New("it is stopping or has ended")
	// ErrStopTimeout reports that processes survived the whole stop schedule.
	ErrStopTimeout = errors.New("processes survived the stop schedule")
)

// The effects: what the machine asks its supervisor to do. The supervisor
// carries them out in order, after the transition.
type (
	// doSpawn starts incarnation inc; the supervisor answers at once
	// with evSpawned or evSpawnFailed.
	doSpawn struct{ inc int }
	// doSignal sends sig to every process of the incarnation (all) or
	// to its main process, then SIGCONT if cont, so that stopped
	// processes act on it.
	doSignal struct {
		inc  int
		sig  syscall.Signal
		all  bool
		cont bool
	}
	// doAdopt looks for the incarnation's new main process after the
	// old one exited 0 leaving others; the answer is evAdopted.
	doAdopt struct{ inc int }
	// doHealth starts probing a ready incarnation's health.
	doHealth struct{ inc int }
	// doEnd releases what the ended incarnation held.
	doEnd struct{ inc int }
	// doReply answers a request.
	doReply struct {
		w *waiter
		r result
	}
	// doVerdict tells whoever started the daemon whether its first
	// incarnation became ready (err nil) or not.
	doVerdict struct{ err error }
	// doLog writes a line to the daemon's event log.
	doLog struct {
		level slog.Level
		msg   string
		attrs []any
	}
	// doFinish ends the supervisor's work: nothing runs, nothing will.
	doFinish struct{}
)

// incarnation is one run of the daemon: from the start of its command to
// the end of its last process.
type incarnation struct {
	id        int
	first     bool          // the daemon's first: its outcome is the start's verdict
	main      proc.Identity // zero while none is known
	adopted   string        // how main was found, when it is not the process started
	startedAt time.Time
	ready     bool
	exit      *status.Exit // how the first main process ended, once it has

	readyBy    time.Time // the ready timeout
	readyAt    time.Time // --ready after:D
	watchdogBy time.Time
	healthFail int
}

// machineConfig is what the machine needs of the definition.
type machineConfig struct {
	policy   definition.RestartPolicy
	schedule definition.Schedule
	backoff  definition.Backoff
	limit    definition.StartLimit
	// readiness: at exec (readyAtExec), after a delay (readyAfter), once
	// the main process is adopted from --pidfile (readyOnAdopt), or when
	// evReady comes; readyTimeout bounds the wait.
	readyAtExec     bool
	readyAfter      time.Duration
	readyOnAdopt    bool
	readyTimeout    time.Duration
	watchdog        time.Duration
	healthThreshold int
	hasHealth       bool
	name            string
}

func newMachineConfig(d *definition.Definition) machineConfig {
	sched, err := d.Schedule()
	if err != nil {
		sched = definition.DefaultSchedule()
	}
	r := d.Readiness()
	c := machineConfig{
		policy: d.Policy(), schedule: sched, backoff: d.Backoff(), limit: d.StartLimit(),
		readyTimeout: d.ReadyTimeoutOrDefault(), watchdog: d.Watchdog,
		healthThreshold: d.HealthThresholdOrDefault(), hasHealth: d.Health != "", name: d.Name,
	}
	switch r.Kind {
	case definition.ReadyExec:
		c.readyOnAdopt = d.PIDFile != ""
		c.readyAtExec = !c.readyOnAdopt
	case definition.ReadyAfter:
		c.readyAfter = r.After
	}
	return c
}

// machine is the supervisor's state: a states x events table of small
// actions (see the package doc), fed one event at a time by the
// supervisor's loop, which carries out the effects the actions leave in
// out. It does no I/O and reads no clock: events carry the time.
type machine struct {
	cfg      machineConfig
	state    state
	cur      *incarnation // nil when no incarnation runs
	lastID   int
	thr      *throttle
	restarts int
	lastExit *status.Exit
	err      string
	verdict  bool // doVerdict was emitted
	// startFailed: the verdict was a failure; the stop that follows
	// leaves the daemon failed, not stopped.
	startFailed bool

	deadline  time.Time // stBackoff: the next start; stopping states: the end of the step
	schedStep int       // stopping states: the current step of the schedule

	stopWaiters    []*waiter
	restartWaiters []*waiter

	out []any // effects of the last step, for the supervisor to carry out
}

func newMachine(cfg machineConfig) *machine {
	if len(cfg.schedule) == 0 {
		cfg.schedule = definition.DefaultSchedule()
	}
	return &machine{cfg: cfg, thr: newThrottle(cfg.backoff, cfg.limit)}
}

// action is a cell of the table.
type action func(m *machine, ev event)

// table is the supervisor: table[state][event] is what happens. The
// package doc shows it as a grid; machine_test.go checks every cell.
var table = [nStates][nEvents]action{
	//           start   stop       restart    spawned  spawnFail   mainExit      empty         ready  notReady  fault    ping  health  timer       adopted
	stDown:       {first, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop},
	stStarting:   {nop, beginStop, beginRestart, spawned, spawnFailed, mainExited, ended, ready, notReady, nop, nop, nop, nop, adopted},
	stUp:         {nop, beginStop, beginRestart, nop, nop, mainExited, ended, nop, nop, fault, ping, health, nop, adopted},
	stBackoff:    {nop, stopIdle, restartNow, nop, nop, nop, nop, nop, nop, nop, nop, nop, backoffOver, nop},
	stStopping:   {nop, joinStop, refuse, nop, nop, stoppedMain, stopped, nop, nop, nop, nop, nop, nextStep, nop},
	stRestarting: {nop, beginStop, joinRestart, nop, nop, restartedMain, restarted, nop, nop, nop, nop, nop, nextStep, nop},
	stEnding:     {nop, beginStop, beginRestart, nop, nop, endedMain, ended, nop, nop, nop, nop, nop, nextStep, nop},
	stFailed:     {nop, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop},
	stExited:     {nop, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop},
}

// step feeds one event to the machine and returns the effects to carry
// out. Events about an incarnation other than the current one are dropped:
// it has ended, and its end was already handled.
func (m *machine) step(ev event) []any {
	m.out = nil
	if ev.inc != 0 && (m.cur == nil || ev.inc != m.cur.id) {
		return nil
	}
	table[m.state][ev.kind](m, ev)
	return m.out
}

// tick turns the deadlines that passed by now into events.
func (m *machine) tick(now time.Time) []any {
	var out []any
	run := func(ev event) { out = append(out, m.step(ev)...) }
	if !m.deadline.IsZero() && !now.Before(m.deadline) {
		m.deadline = time.Time{}
		run(event{kind: evTimer, at: now})
	}
	if inc := m.cur; inc != nil {
		if !inc.readyAt.IsZero() && !now.Before(inc.readyAt) {
			inc.readyAt = time.Time{}
			run(event{kind: evReady, at: now, inc: inc.id})
		}
	}
	if inc := m.cur; inc != nil {
		if !inc.readyBy.IsZero() && !now.Before(inc.readyBy) {
			inc.readyBy = time.Time{}
			run(event{kind: evNotReady, at: now, inc: inc.id,
				how: fmt.Sprintf("not ready within %v", m.cfg.readyTimeout)})
		}
	}
	if inc := m.cur; inc != nil {
		if !inc.watchdogBy.IsZero() && !now.Before(inc.watchdogBy) {
			inc.watchdogBy = time.Time{}
			run(event{kind: evFault, at: now, inc: inc.id,
				how: fmt.Sprintf("watchdog: no WATCHDOG=1 within %v", m.cfg.watchdog)})
		}
	}
	return out
}

// nextDeadline is the earliest pending deadline, zero when none.
func (m *machine) nextDeadline() time.Time {
	d := m.deadline
	if inc := m.cur; inc != nil {
		for _, t := range []time.Time{inc.readyAt, inc.readyBy, inc.watchdogBy} {
			if !t.IsZero() && (d.IsZero() || t.Before(d)) {
				d = t
			}
		}
	}
	return d
}

func (m *machine) emit(e any) { m.out = append(m.out, e) }

func (m *machine) log(level slog.Level, msg string, attrs ...any) {
	m.emit(doLog{level, msg, attrs})
}

func (m *machine) reply(ws []*waiter, r result) {
	for _, w := range ws {
		if w != nil {
			m.emit(doReply{w, r})
		}
	}
}

// decide emits the verdict on the first incarnation, once.
func (m *machine) decide(err error) {
	if !m.verdict {
		m.verdict, m.startFailed = true, err != nil
		m.emit(doVerdict{err})
	}
}

// ---- the actions: one per kind of cell --------------------------------

func nop(*machine, event) {}

// first starts the daemon's first incarnation.
func first(m *machine, ev event) { m.spawn(ev.at) }

// notRunning answers a stop when nothing runs.
func notRunning(m *machine, ev event) {
	m.reply([]*waiter{ev.reply}, result{how: "was not running"})
}

// refuse answers a restart that cannot be done here.
func refuse(m *machine, ev event) {
	m.reply([]*waiter{ev.reply}, result{err: ErrStopped})
}

// spawned records the incarnation's first process and starts waiting for
// it to be ready.
func spawned(m *machine, ev event) {
	inc := m.cur
	inc.main = ev.main
	m.log(slog.LevelInfo, "started", "pid", ev.main.PID, "incarnation", inc.id, "restarts", m.restarts)
	switch {
	case m.cfg.readyAtExec:
		m.becomeReady(ev.at)
		return
	case m.cfg.readyAfter > 0:
		inc.readyAt = ev.at.Add(m.cfg.readyAfter)
	}
	inc.readyBy = ev.at.Add(m.cfg.readyTimeout)
}

// spawnFailed handles a command that could not be started: the first
// start fails the daemon; later ones go to the restart policy.
func spawnFailed(m *machine, ev event) {
	inc := m.cur
	inc.exit = ev.exit
	m.err = ev.exit.Description
	m.log(slog.LevelError, "start failed", "err", ev.exit.Description)
	if inc.first {
		m.lastExit = ev.exit
		m.cur = nil
		m.emit(doEnd{inc.id})
		m.decide(errors.New(ev.exit.Description))
		m.reply(m.restartWaiters, result{err: errors.New(ev.exit.Description)})
		m.restartWaiters = nil
		m.finish(stFailed, ev.at)
		return
	}
	ended(m, ev)
}

// ready makes the incarnation ready.
func ready(m *machine, ev event) { m.becomeReady(ev.at) }

func (m *machine) becomeReady(now time.Time) {
	inc := m.cur
	inc.ready, inc.readyBy, inc.readyAt = true, time.Time{}, time.Time{}
	m.state = stUp
	m.err = ""
	if m.cfg.watchdog > 0 {
		inc.watchdogBy = now.Add(m.cfg.watchdog)
	}
	m.log(slog.LevelInfo, "ready", "pid", inc.main.PID, "after", now.Sub(inc.startedAt).Round(time.Millisecond).String())
	if inc.first {
		m.decide(nil)
	}
	m.reply(m.restartWaiters, result{pid: inc.main.PID})
	m.restartWaiters = nil
	if m.cfg.hasHealth {
		m.emit(doHealth{inc.id})
	}
}

// notReady handles an incarnation that was not ready in time: the first
// one fails the start (and is stopped); a later one is restarted.
func notReady(m *machine, ev event) {
	err := fmt.Errorf("%s was %s", m.cfg.name, ev.how)
	m.log(slog.LevelWarn, "not ready", "pid", m.cur.main.PID, "err", err.Error())
	if m.cur.first {
		m.decide(err)
		m.err = err.Error()
		m.beginSchedule(stStopping, ev.at)
		return
	}
	m.reply(m.restartWaiters, result{err: err})
	m.restartWaiters = nil
	fault(m, event{kind: evFault, at: ev.at, inc: ev.inc, how: ev.how})
}

// fault restarts a ready incarnation that the watchdog, the health probe
// or the daemon itself (WATCHDOG=trigger) gave up on.
func fault(m *machine, ev event) {
	m.log(slog.LevelWarn, "restarting", "pid", m.cur.main.PID, "reason", ev.how)
	m.beginSchedule(stRestarting, ev.at)
}

// ping pushes the watchdog's deadline back.
func ping(m *machine, ev event) {
	if m.cfg.watchdog > 0 {
		m.cur.watchdogBy = ev.at.Add(m.cfg.watchdog)
	}
}

// health counts failed probes in a row and restarts at the threshold.
func health(m *machine, ev event) {
	inc := m.cur
	if ev.ok {
		inc.healthFail = 0
		return
	}
	inc.healthFail++
	if inc.healthFail >= m.cfg.healthThreshold {
		fault(m, event{kind: evFault, at: ev.at, inc: ev.inc,
			how: fmt.Sprintf("unhealthy: %d health checks failed in a row (%s)", inc.healthFail, ev.result)})
	}
}

// adopted records the main process found after the old one exited 0.
func adopted(m *machine, ev event) {
	inc := m.cur
	if ev.main.PID == 0 {
		inc.main, inc.adopted = proc.Identity{}, ""
		if !inc.ready && m.cfg.readyOnAdopt {
			notReady(m, ev)
			return
		}
		m.log(slog.LevelWarn, "no main process: signals go to all of its processes", "why", ev.how)
		return
	}
	inc.main, inc.adopted = ev.main, ev.how
	m.log(slog.LevelInfo, "adopted", "pid", ev.main.PID, "how", ev.how)
	if !inc.ready && m.cfg.readyOnAdopt {
		m.becomeReady(ev.at)
	}
}

// mainExited handles the end of the main process of a running
// incarnation: if nothing else is left, the incarnation has ended; if it
// exited 0 leaving others (a program that daemonizes itself), one of them
// becomes the main process; if it failed, the others are stopped.
func mainExited(m *machine, ev event) {
	inc := m.cur
	m.recordExit(ev)
	switch {
	case ev.empty:
		ended(m, ev)
	case ev.exit.Code == 0:
		m.log(slog.LevelInfo, "it left other processes: following them")
		m.emit(doAdopt{inc.id})
	default:
		m.log(slog.LevelWarn, "it failed leaving other processes: stopping them", "how", ev.exit.Description)
		m.beginSchedule(stEnding, ev.at)
	}
}

// recordExit keeps the main process's exit; the first one is the
// incarnation's (a later, adopted main process's exit only if none came
// before with a failure).
func (m *machine) recordExit(ev event) {
	inc := m.cur
	if inc.exit == nil || inc.exit.Code == 0 {
		inc.exit = ev.exit
	}
	m.lastExit = ev.exit
	m.log(slog.LevelInfo, "main process exited", "pid", inc.main.PID, "how", ev.exit.Description)
	inc.main = proc.Identity{}
}

// ended handles an incarnation with no process left: the restart policy
// decides what comes next.
func ended(m *machine, ev event) {
	inc := m.cur
	m.cur = nil
	m.deadline = time.Time{}
	m.emit(doEnd{inc.id})
	exit := inc.exit
	if exit == nil {
		exit = &status.Exit{Code: -1, Description: "its processes are gone (exit status unknown)", At: ev.at}
	}
	m.lastExit = exit
	if !inc.ready {
		err := fmt.Errorf("%s %s before it was ready", m.cfg.name, exit.Description)
		if inc.first {
			m.decide(err)
		}
		m.reply(m.restartWaiters, result{err: err})
		m.restartWaiters = nil
	}
	if !m.cfg.policy.Restarts(exit.Code) {
		m.log(slog.LevelInfo, "exited", "how", exit.Description)
		m.finish(stExited, ev.at)
		return
	}
	delay, ok := m.thr.next(ev.at, ev.at.Sub(inc.startedAt))
	if !ok {
		m.err = fmt.Sprintf("start limit hit: more than %d starts within %v; it last %s",
			m.thr.limit.Burst, m.thr.limit.Interval, exit.Description)
		m.log(slog.LevelError, "failed", "how", exit.Description, "err", m.err)
		m.finish(stFailed, ev.at)
		return
	}
	m.log(slog.LevelWarn, "ended; restarting", "how", exit.Description, "in", delay.String())
	if delay == 0 {
		m.restarts++
		m.spawn(ev.at)
		return
	}
	m.state, m.deadline = stBackoff, ev.at.Add(delay)
}

// endedMain handles a main process's exit while its leftovers are being
// stopped.
func endedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		ended(m, ev)
	}
}

// backoffOver starts the next incarnation.
func backoffOver(m *machine, ev event) {
	m.restarts++
	m.spawn(ev.at)
}

// stopIdle stops a daemon that is waiting to restart: nothing runs.
func stopIdle(m *machine, ev event) {
	m.deadline = time.Time{}
	m.stopWaiters = append(m.stopWaiters, ev.reply)
	m.log(slog.LevelInfo, "stop requested")
	m.finish(stDown, ev.at)
}

// restartNow starts the next incarnation without waiting out the backoff.
func restartNow(m *machine, ev event) {
	m.deadline = time.Time{}
	m.restartWaiters = append(m.restartWaiters, ev.reply)
	m.log(slog.LevelInfo, "restart requested")
	m.restarts++
	m.spawn(ev.at)
}

// beginStop runs the stop schedule on the incarnation (or goes on with
// the one already running), and answers once nothing is left.
func beginStop(m *machine, ev event) {
	m.log(slog.LevelInfo, "stop requested")
	m.stopWaiters = append(m.stopWaiters, ev.reply)
	m.reply(m.restartWaiters, result{err: ErrStopped})
	m.restartWaiters = nil
	m.beginSchedule(stStopping, ev.at)
}

// beginRestart runs the stop schedule on the incarnation, then starts a
// new one.
func beginRestart(m *machine, ev event) {
	m.log(slog.LevelInfo, "restart requested")
	m.restartWaiters = append(m.restartWaiters, ev.reply)
	m.beginSchedule(stRestarting, ev.at)
}

func joinStop(m *machine, ev event)    { m.stopWaiters = append(m.stopWaiters, ev.reply) }
func joinRestart(m *machine, ev event) { m.restartWaiters = append(m.restartWaiters, ev.reply) }

// beginSchedule moves to a stopping state. A schedule already running (in
// another stopping state) goes on where it is; otherwise its first step
// starts now.
func (m *machine) beginSchedule(to state, now time.Time) {
	running := m.state == stStopping || m.state == stRestarting || m.state == stEnding
	m.state = to
	if m.cur != nil {
		m.cur.readyBy, m.cur.readyAt, m.cur.watchdogBy = time.Time{}, time.Time{}, time.Time{}
	}
	if running {
		return
	}
	m.schedStep = 0
	m.signalStep(now)
}

// signalStep sends the current step's signal to every process of the
// incarnation and sets the step's deadline.
func (m *machine) signalStep(now time.Time) {
	s := m.cfg.schedule[m.schedStep]
	m.emit(doSignal{inc: m.cur.id, sig: s.Signal, all: true, cont: s.Signal != syscall.SIGKILL && s.Signal != syscall.SIGCONT})
	m.deadline = now.Add(s.Wait)
}

// nextStep escalates when a step's time is up, and gives up after the
// last one.
func nextStep(m *machine, ev event) {
	if m.schedStep+1 < len(m.cfg.schedule) {
		m.schedStep++
		m.signalStep(ev.at)
		return
	}
	err := fmt.Errorf("stop %s: %w", m.cfg.schedule, ErrStopTimeout)
	m.err = err.Error()
	m.log(slog.LevelError, "processes survived the stop schedule", "schedule", m.cfg.schedule.String())
	m.emit(doEnd{m.cur.id})
	m.cur = nil
	m.reply(m.stopWaiters, result{err: err})
	m.reply(m.restartWaiters, result{err: err})
	m.stopWaiters, m.restartWaiters = nil, nil
	if m.state == stStopping && !m.startFailed {
		m.finish(stDown, ev.at)
		return
	}
	m.finish(stFailed, ev.at)
}

// stoppedMain records the main process's exit during a stop.
func stoppedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		stopped(m, ev)
	}
}

// stopped ends a stop: nothing of the incarnation is left.
func stopped(m *machine, ev event) {
	if inc := m.cur; inc != nil {
		m.cur = nil
		m.emit(doEnd{inc.id})
	}
	m.deadline = time.Time{}
	to := stDown
	if m.startFailed {
		to = stFailed
	}
	m.finish(to, ev.at)
}

// restartedMain records the main process's exit during a restart.
func restartedMain(m *machine, ev event) {
	m.recordExit(ev)
	if ev.empty {
		restarted(m, ev)
	}
}

// restarted starts the new incarnation once the old one has ended.
func restarted(m *machine, ev event) {
	inc := m.cur
	m.cur = nil
	m.emit(doEnd{inc.id})
	m.deadline = time.Time{}
	m.restarts++
	m.spawn(ev.at)
}

// spawn starts a new incarnation.
func (m *machine) spawn(now time.Time) {
	m.lastID++
	m.cur = &incarnation{id: m.lastID, first: m.lastID == 1, startedAt: now}
	m.state = stStarting
	m.thr.started(now)
	m.emit(doSpawn{m.lastID})
}

// finish moves to a final state: every stop request is answered, and the
// supervisor's work is done.
func (m *machine) finish(to state, now time.Time) {
	m.state = to
	m.deadline = time.Time{}
	how := "was not running"
	if m.lastExit != nil {
		how = m.lastExit.Description
	}
	if to != stDown && m.lastExit != nil {
		how = fmt.Sprintf("it had already %s: %s", to.status(), m.lastExit.Description)
	}
	m.reply(m.stopWaiters, result{how: how})
	m.stopWaiters = nil
	m.reply(m.restartWaiters, result{err: ErrStopped})
	m.restartWaiters = nil
	if !m.verdict {
		m.decide(fmt.Errorf("%s is %s", m.cfg.name, to.status()))
	}
	m.emit(doFinish{})
}
