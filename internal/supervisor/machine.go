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
	stReloading               // the incarnation serves while a new one starts beside it
	stEnding                  // the main process failed; the stop schedule ends the rest; then the policy
	stFailed                  // could not be started, or the start limit was hit
	stExited                  // ended, and the policy does not restart it
	nStates
)

var stateNames = [nStates]string{"down", "starting", "up", "backoff", "stopping", "restarting", "reloading", "ending", "failed", "exited"}

func (s state) String() string { return stateNames[s] }

// status is how the state reads to users.
func (s state) status() status.State {
	return [nStates]status.State{status.Stopped, status.Starting, status.Running, status.BackingOff,
		status.Stopping, status.Restarting, status.Reloading, status.Stopping, status.Failed, status.Exited}[s]
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
	evPing                         // a watchdog keep-alive (WATCHDOG=1), or a new interval (WATCHDOG_USEC=)
	evHealth                       // a health probe's result
	evTimer                        // the state's deadline passed (backoff over, stop step over)
	evAdopted                      // a new main process was chosen (or none could be)
	evReload                       // request: a new incarnation beside this one, then this one stops
	evResume                       // a host takes the daemon over from one that died (the supervisor's first act)
	evExtend                       // the daemon asks for more time (EXTEND_TIMEOUT_USEC=)
	nEvents
)

var eventNames = [nEvents]string{"start", "stop", "restart", "spawned", "spawn-failed", "main-exit", "empty",
	"ready", "not-ready", "fault", "ping", "health", "timer", "adopted", "reload", "resume", "extend"}

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
	empty   bool
	ok      bool        // evHealth
	result  string      // evHealth
	reply   *waiter     // evStop, evRestart
	resumed *resumption // evResume
	// interval is, on evPing, the incarnation's new watchdog interval
	// (WATCHDOG_USEC=), 0 when the ping sets none; on evExtend, the time
	// from ev.at that the incarnation's timeouts are extended to.
	interval time.Duration
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
	// doSettle watches a new incarnation until its processes have
	// settled (they sleep, waiting for work; at most settleMax), and
	// then says evReady.
	doSettle struct {
		inc  int
		main proc.Identity
	}
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
	// watchdog is the interval its processes asked for (WATCHDOG_USEC=),
	// in place of cfg.watchdog for this incarnation alone: as systemd
	// resets the override at every start, the next one starts from
	// --watchdog again. 0: none asked.
	watchdog   time.Duration
	healthFail int
	// extended: EXTEND_TIMEOUT_USEC= pushed its ready timeout back.
	extended bool
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
	// reloadSignal, when set, is what a reload sends to the main process
	// (a program that reloads itself on SIGHUP, say) instead of starting
	// a new incarnation; with notify readiness the reload then waits for
	// READY=1 again.
	reloadSignal syscall.Signal
	readyNotify  bool
	// task: the command runs to completion (tasks.go): a one-shot
	// (oneshot), or the runs of a schedule (timer, runOnStart).
	task
	// settle: the default readiness, exec, then settled (see
	// definition.Readiness.Settle). A reload's new incarnation waits to
	// settle before the old one goes (doSettle); a start's, tend start
	// watches.
	settle bool
	// readyLog is the pattern of --ready log:REGEX, for the errors of a
	// start that never printed its line.
	readyLog string
	// onExit, onFailure: the definition has those hooks (hooks.go).
	onExit, onFailure bool
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
		onExit: d.OnExit != "", onFailure: d.OnFailure != "",
	}
	if d.ReloadSignal != "" {
		c.reloadSignal, _ = proc.ParseSignal(d.ReloadSignal) // Validate checked it
	}
	switch r.Kind {
	case definition.ReadyExec:
		c.readyOnAdopt = d.PIDFile != ""
		c.readyAtExec = !c.readyOnAdopt
		c.settle = r.Settle
	case definition.ReadyAfter:
		c.readyAfter = r.After
	case definition.ReadyNotify:
		c.readyNotify = true
	case definition.ReadyLog:
		c.readyLog = r.Log.String()
	}
	c.applyTask(d)
	return c
}

// unseenLine says, for a daemon with --ready log:REGEX that was not
// ready, that its line never came.
func (c machineConfig) unseenLine() string {
	if c.readyLog == "" {
		return ""
	}
	return " (no line of its output matched log:" + c.readyLog + ")"
}

// machine is the supervisor's state: a states x events table of small
// actions (see the package doc), fed one event at a time by the
// supervisor's loop, which carries out the effects the actions leave in
// out. It does no I/O and reads no clock: events carry the time.
type machine struct {
	cfg      machineConfig
	state    state
	cur      *incarnation // nil when no incarnation runs
	next     *incarnation // stReloading: the one starting beside cur
	retiring []*retiree   // incarnations replaced by a reload, being stopped
	ids      *int         // the last incarnation id given, shared by the daemon's instances
	instance int          // which of the daemon's instances this machine runs (0...)
	thr      *throttle
	// fault is why the restart under way is the daemon's own doing (over
	// --memory-max, its watchdog, its health): such a restart counts
	// against the start limit, as an exit does; "" for one asked for.
	fault    string
	restarts int
	reloads  int
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
	reloadWaiters  []*waiter
	// sigReload: a reload sent cfg.reloadSignal and waits for READY=1.
	sigReload bool
	// holding: the machine reached a final state while retiring
	// incarnations still had processes; it finishes once they are gone.
	holding bool
	spawns  int // incarnations started
	// runs: a task's runs and where its schedule is (tasks.go).
	runs runs

	out []any // effects of the last step, for the supervisor to carry out
}

func newMachine(cfg machineConfig) *machine {
	if len(cfg.schedule) == 0 {
		cfg.schedule = definition.DefaultSchedule()
	}
	return &machine{cfg: cfg, thr: newThrottle(cfg.backoff, cfg.limit), ids: new(int)}
}

// retiree is an incarnation that a reload replaced, stopped with the stop
// schedule in the background while its successor serves.
type retiree struct {
	inc      *incarnation
	step     int
	deadline time.Time
}

// action is a cell of the table.
type action func(m *machine, ev event)

// table is the supervisor: table[state][event] is what happens. The
// package doc shows it as a grid; machine_test.go checks every cell.
var table = [nStates][nEvents]action{
	//           start   stop       restart    spawned  spawnFail   mainExit      empty         ready  notReady  fault    ping  health  timer       adopted  reload      resume  extend
	stDown:       {first, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, refuse, resumed, nop},
	stStarting:   {nop, beginStop, beginRestart, spawned, spawnFailed, mainExited, ended, ready, notReady, nop, setWatchdog, nop, nop, adopted, beginRestart, nop, extend},
	stUp:         {nop, beginStop, beginRestart, nop, nop, mainExited, ended, readyAgain, notReadyAgain, fault, ping, health, nop, adopted, beginReload, nop, extend},
	stBackoff:    {nop, stopIdle, restartNow, nop, nop, nop, nop, nop, nop, nop, nop, nop, backoffOver, nop, restartNow, nop, nop},
	stStopping:   {nop, joinStop, refuse, nop, nop, stoppedMain, stopped, nop, nop, nop, nop, nop, nextStep, nop, refuse, nop, extend},
	stRestarting: {nop, beginStop, joinRestart, nop, nop, restartedMain, restarted, nop, nop, nop, nop, nop, nextStep, nop, joinRestart, nop, extend},
	stReloading:  {nop, stopReloading, joinReload, nop, nop, oldEnded, oldEnded, nop, nop, nop, ping, nop, nop, adopted, joinReload, nop, extend},
	stEnding:     {nop, beginStop, beginRestart, nop, nop, endedMain, ended, nop, nop, nop, nop, nop, nextStep, nop, beginRestart, nop, extend},
	stFailed:     {nop, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, refuse, nop, nop},
	stExited:     {nop, notRunning, refuse, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, nop, refuse, nop, nop},
}

// step feeds one event to the machine and returns the effects to carry
// out. Events about the current incarnation (or the daemon: inc 0) go to
// the table; those about the one starting beside it during a reload, and
// about retiring ones, go to their own small handlers (reload.go); those
// of an incarnation that has ended are dropped: its end was handled.
func (m *machine) step(ev event) []any {
	m.out = nil
	switch {
	case ev.inc == 0 || m.cur != nil && ev.inc == m.cur.id:
		table[m.state][ev.kind](m, ev)
	case m.next != nil && ev.inc == m.next.id:
		m.onNext(ev)
	case m.retiree(ev.inc) != nil:
		m.onRetiree(ev)
	}
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
	for _, inc := range []*incarnation{m.cur, m.next} {
		if inc == nil {
			continue
		}
		if !inc.readyAt.IsZero() && !now.Before(inc.readyAt) {
			inc.readyAt = time.Time{}
			run(event{kind: evReady, at: now, inc: inc.id})
		}
		if !inc.readyBy.IsZero() && !now.Before(inc.readyBy) {
			inc.readyBy = time.Time{}
			how := fmt.Sprintf("not ready within %v", m.cfg.readyTimeout)
			if inc.extended {
				how += ", nor within the time it last asked for with EXTEND_TIMEOUT_USEC="
			}
			how += m.cfg.unseenLine()
			run(event{kind: evNotReady, at: now, inc: inc.id, how: how})
		}
		if !inc.watchdogBy.IsZero() && !now.Before(inc.watchdogBy) {
			inc.watchdogBy = time.Time{}
			run(event{kind: evFault, at: now, inc: inc.id,
				how: fmt.Sprintf("watchdog: no WATCHDOG=1 within %v", m.watchdogOf(inc))})
		}
	}
	for _, r := range append([]*retiree(nil), m.retiring...) {
		if !r.deadline.IsZero() && !now.Before(r.deadline) {
			r.deadline = time.Time{}
			run(event{kind: evTimer, at: now, inc: r.inc.id})
		}
	}
	return append(out, m.skipRun(now)...)
}

// nextDeadline is the earliest pending deadline, zero when none.
func (m *machine) nextDeadline() time.Time {
	d := m.deadline
	earliest := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	for _, inc := range []*incarnation{m.cur, m.next} {
		if inc != nil {
			earliest(inc.readyAt)
			earliest(inc.readyBy)
			earliest(inc.watchdogBy)
		}
	}
	for _, r := range m.retiring {
		earliest(r.deadline)
	}
	if !m.state.final() {
		earliest(m.runs.next)
	}
	return d
}

// incarnations returns every incarnation that may have processes: the
// current one, the one starting beside it, and the retiring ones.
func (m *machine) incarnations() []*incarnation {
	var out []*incarnation
	for _, inc := range []*incarnation{m.cur, m.next} {
		if inc != nil {
			out = append(out, inc)
		}
	}
	for _, r := range m.retiring {
		out = append(out, r.inc)
	}
	return out
}

// watchdogOf is inc's watchdog interval: what its processes asked for, or
// --watchdog; 0 for none.
func (m *machine) watchdogOf(inc *incarnation) time.Duration {
	if inc.watchdog > 0 {
		return inc.watchdog
	}
	return m.cfg.watchdog
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
