package supervisor

import (
	"context"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// Messages to the loop that are not machine events.
type (
	// signalRequest asks to signal the daemon (tend signal, tend run's
	// forwarding).
	signalRequest struct {
		sig   syscall.Signal
		all   bool
		reply chan signalResult
	}
	signalResult struct {
		pid, n int
		err    error
	}
	// mainGone reports the exit of a main process that is not the
	// supervisor's child (found by pidfd).
	mainGone struct {
		inc  int
		id   proc.Identity
		late bool // the second look, after mainGoneGrace
	}
	// logChanged says that the log capture's condition changed (a write
	// failed, or it recovered): the record shows it.
	logChanged struct{}
)

// handle carries out one message.
func (s *Supervisor) handle(msg any) {
	switch m := msg.(type) {
	case event:
		s.stepInc(m)
	case fanout:
		s.fanOut(m)
	case instanceRequest:
		s.instanceRequest(m)
	case scaleRequest:
		s.scale(m)
	case reloadDone:
		s.reloadDone(m)
	case checkMemory:
		s.memoryChecked()
	case reapedBatch:
		s.reaped(m)
	case groupChanged:
		s.checkEmpty(m.inc)
	case mainGone:
		s.mainGone(m)
	case pidfileRead:
		s.pidfileNamed(m)
	case pidfileTimeout:
		s.pidfileGaveUp(m)
	case notifyMsg:
		s.notified(m.dg)
	case notifyDropped:
		s.notifyDropped(m.err)
	case healthResult:
		s.healthChecked(m)
	case signalRequest:
		pid, n, err := s.signalAll(m.sig, m.all)
		m.reply <- signalResult{pid, n, err}
	case folderChanged:
		s.folderChanged()
	case folderSettled:
		s.folderSettled()
	case processesRequest:
		s.processes(m)
	case fileChanged:
		s.fileChanged(m)
	case folderAdded:
		s.folderAdded(m)
	case filesSettled:
		s.filesSettled(m)
	case watchRearm:
		s.watchRearm()
	case hookDone:
		s.hookEnded(m.run, <-m.run.done)
	case logChanged:
		// The record is written after every message.
	}
}

// apply carries out the effects of in's machine, in order; those that
// produce events feed them back at once, and carry out their effects too.
func (s *Supervisor) apply(in *instance, effects []any) {
	for i := 0; i < len(effects); i++ {
		switch e := effects[i].(type) {
		case doSpawn:
			s.byInc[e.inc] = in
			ev := s.spawn(in, e.inc)
			if ev.kind == evSpawned {
				s.readying.watch(e.inc, s.incs[e.inc])
			}
			effects = append(effects, in.m.step(ev)...)
		case doSignal:
			s.sendStep(in, e)
		case doSettle:
			if r := s.incs[e.inc]; r != nil {
				go watchSettle(r.ctx, e.main, func() { s.inbox.post(event{kind: evReady, at: time.Now(), inc: e.inc}) })
			}
		case doAdopt:
			if ev, ok := s.adopt(e.inc); ok {
				effects = append(effects, in.m.step(ev)...)
			}
		case doHealth:
			if r := s.incs[e.inc]; r != nil {
				s.readying.startHealth(e.inc, r)
			}
		case doEnd:
			s.incs[e.inc].release()
			delete(s.incs, e.inc)
			delete(s.byInc, e.inc)
			s.tracker.end(e.inc)
		case doReply:
			s.answers = append(s.answers, e) // once the record says so: deliver
		case doVerdict:
			s.verdictOf(in, e.err)
		case doLog:
			s.events.Log(context.Background(), e.level, e.msg, e.attrs...)
		case doHook:
			s.runHook(in, e)
		case doFinish:
			s.finishedOne(in)
		}
	}
}

// deliver sends the answers that the last effects decided, once the
// record that goes with them is written.
func (s *Supervisor) deliver() {
	for _, a := range s.answers {
		switch e := a.(type) {
		case doReply:
			e.w.c <- e.r
		case doVerdict:
			s.verdict <- e.err
		}
	}
	s.answers = nil
}

// reaped learns of the exits the reaper saw: the main process's, or those
// of other processes of the daemon.
func (s *Supervisor) reaped(batch reapedBatch) {
	s.reaper.consumed(s, batch)
	for _, c := range batch {
		in, inc := s.withMain(c.pid)
		if in == nil {
			continue
		}
		s.exitsToRecord = append(s.exitsToRecord, c.pid)
		now := time.Now()
		exit := &status.Exit{Code: proc.ExitCode(c.ws), Description: proc.DescribeExit(c.ws), At: now}
		if c.ws.Signaled() {
			exit.Signal = proc.SignalName(c.ws.Signal())
		}
		s.step(in, event{kind: evMainExit, at: now, inc: inc.id, exit: exit, empty: s.tracker.empty(inc.id)})
	}
	for _, inc := range s.live() {
		s.checkEmpty(inc.id)
	}
}

// mainGone learns of the exit of a main process from its pidfd. If it was
// the supervisor's child, the reaper tells how it ended: reaped already
// (its report is on its way) or a zombie of ours (to be reaped).
// Otherwise its exit status is not to be known.
//
// A process can also die while its parent is exiting (a multi-threaded
// parent stays a parent until its last thread is gone), and come to the
// supervisor as a zombie a moment later. So a process that is not ours is
// given mainGoneGrace before its exit is taken as unknown.
func (s *Supervisor) mainGone(m mainGone) {
	in, inc := s.incarnation(m.inc)
	if in == nil || inc.main != m.id {
		return
	}
	if s.reaper.reaps(s, m.id.PID) {
		return
	}
	if !m.late {
		m.late = true
		time.AfterFunc(mainGoneGrace, func() { s.inbox.post(m) })
		return
	}
	exit := &status.Exit{Code: -1, Description: "ended (it was not tend's child: exit status unknown)", At: time.Now()}
	s.step(in, event{kind: evMainExit, at: time.Now(), inc: m.inc, exit: exit, empty: s.tracker.empty(m.inc)})
}

// mainGoneGrace is how long the exit of a main process that is not the
// supervisor's child waits for the reaper to tell a better story.
const mainGoneGrace = 200 * time.Millisecond

// checkEmpty tells the machine when incarnation inc has no process left.
// While the machine knows a main process, its exit is still to come, in a
// message of its own (the reaper's, or the pidfd watch's: the cgroup may
// say it is empty first), and that message says whether it was the last.
func (s *Supervisor) checkEmpty(id int) {
	in, inc := s.incarnation(id)
	if in == nil || inc.main.PID != 0 {
		return
	}
	if s.tracker.empty(id) {
		s.step(in, event{kind: evEmpty, at: time.Now(), inc: id})
	}
}

// sendStep sends a stop step's signal to every process of the
// incarnation, then SIGCONT so that stopped ones act on it. SIGKILL goes
// through the tracker's kill, which (with a cgroup) also catches processes
// being forked.
func (s *Supervisor) sendStep(in *instance, e doSignal) {
	crashAt("stop-requested")
	var n int
	switch {
	case e.all && e.sig == syscall.SIGKILL:
		n = len(s.tracker.members(e.inc))
		s.tracker.kill(e.inc)
	case e.all:
		n = s.tracker.signal(e.inc, e.sig)
	default:
		if _, inc := s.incarnation(e.inc); inc != nil && inc.main.Signal(e.sig) == nil {
			n = 1
		}
	}
	if e.cont {
		s.tracker.signal(e.inc, syscall.SIGCONT)
	}
	s.events.Info("signal sent", "signal", proc.SignalName(e.sig), "incarnation", e.inc, "processes", n)
}

// killAll ends everything the daemon runs at once, for a supervisor that
// fails after its first incarnation started.
func (s *Supervisor) killAll() {
	for _, inc := range s.live() {
		s.tracker.kill(inc.id)
		for deadline := time.Now().Add(5 * time.Second); !s.tracker.empty(inc.id) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond) // a failure path, once
		}
	}
}
