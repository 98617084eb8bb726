package supervisor

import (
	"fmt"
	"github.com/tendhq/tend/internal/definition"
	statedir "github.com/tendhq/tend/internal/state"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/proc"
)

// Instances: with --instances N, N copies of the command run under one
// supervisor, each its own machine (restarted, probed and reloaded on its
// own), sharing the --listen sockets. Events about an incarnation go to
// the instance that started it (byInc); requests about the daemon go to
// every instance, and the loop adds their answers up.

// instance is one copy of the daemon: its machine and what the loop keeps
// for it.
type instance struct {
	index int
	m     *machine
	out   *instanceOutput // its stdout and stderr, named after it in the log
	done  bool            // its machine reached a final state and let go of everything
	// leaving: tend scale took it away; it is forgotten once done.
	leaving bool
	// started, when set, is a scale request waiting for its first verdict.
	started *waiter
}

// addInstance makes instance index, not started yet.
func (s *Supervisor) addInstance(index int) *instance {
	m := newMachine(s.mcfg)
	m.ids, m.instance = &s.lastInc, index
	in := &instance{index: index, m: m}
	in.out = s.output.forInstance(s, index, s.def.InstanceCount() > 1 || index > 0)
	s.insts = append(s.insts, in)
	return in
}

// step feeds ev to in's machine and carries out the effects.
func (s *Supervisor) step(in *instance, ev event) {
	if ev.at.IsZero() {
		ev.at = time.Now()
	}
	s.apply(in, in.m.step(ev))
}

// stepInc feeds ev to the instance that runs incarnation ev.inc, if any.
func (s *Supervisor) stepInc(ev event) {
	if in := s.byInc[ev.inc]; in != nil {
		s.step(in, ev)
	}
}

// incarnation returns incarnation inc and its instance, or nils once it
// has ended.
func (s *Supervisor) incarnation(inc int) (*instance, *incarnation) {
	in := s.byInc[inc]
	if in == nil {
		return nil, nil
	}
	for _, x := range in.m.incarnations() {
		if x.id == inc {
			return in, x
		}
	}
	return nil, nil
}

// live returns every incarnation that may have processes, of every
// instance, oldest first.
func (s *Supervisor) live() []*incarnation {
	var out []*incarnation
	for _, in := range s.insts {
		out = append(out, in.m.incarnations()...)
	}
	return out
}

// withMain returns the instance and incarnation whose main process is pid.
func (s *Supervisor) withMain(pid int) (*instance, *incarnation) {
	for _, in := range s.insts {
		for _, inc := range in.m.incarnations() {
			if inc.main.PID == pid {
				return in, inc
			}
		}
	}
	return nil, nil
}

// holding returns the instance and incarnation that pid belongs to: its
// main process, or another of its processes.
func (s *Supervisor) holding(pid int) (*instance, *incarnation) {
	if in, inc := s.withMain(pid); in != nil {
		return in, inc
	}
	for _, in := range s.insts {
		for _, inc := range in.m.incarnations() {
			if _, err := member(s.tracker, inc.id, pid); err == nil {
				return in, inc
			}
		}
	}
	return nil, nil
}

// verdictOf records an instance's first verdict: the start's verdict is
// the first failure, or success once every instance is ready; an instance
// added by tend scale answers its own request.
func (s *Supervisor) verdictOf(in *instance, err error) {
	if in.started != nil {
		s.answers = append(s.answers, doReply{in.started, result{err: err}})
		in.started = nil
		return
	}
	if s.verdictSent {
		return
	}
	if err != nil {
		s.verdictSent = true
		s.answers = append(s.answers, doVerdict{err})
		return
	}
	if s.pendingVerdicts--; s.pendingVerdicts == 0 {
		s.verdictSent = true
		s.answers = append(s.answers, doVerdict{nil})
	}
}

// finishedOne records that an instance's machine has finished; the
// supervisor finishes with the last one.
func (s *Supervisor) finishedOne(in *instance) {
	in.done = true
	if in.leaving {
		for i, x := range s.insts {
			if x == in {
				s.insts = append(s.insts[:i], s.insts[i+1:]...)
				break
			}
		}
		s.forget(fmt.Sprintf("out/%d", in.index))
		in.out.close()
	}
	for _, x := range s.insts {
		if !x.done {
			return
		}
	}
	s.finished = true
}

// nextDeadline is the earliest deadline of any instance.
func (s *Supervisor) nextDeadline() time.Time {
	var d time.Time
	for _, in := range s.insts {
		if t := in.m.nextDeadline(); !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

// tick turns every instance's passed deadlines into events.
func (s *Supervisor) tick(now time.Time) {
	for _, in := range append([]*instance(nil), s.insts...) {
		s.apply(in, in.m.tick(now))
	}
}

// fanout asks every instance the same thing (stop, restart) and returns
// the waiters of their answers.
type fanout struct {
	kind  eventKind
	reply chan []*waiter
}

func (s *Supervisor) fanOut(f fanout) {
	var ws []*waiter
	for _, in := range append([]*instance(nil), s.insts...) {
		if in.leaving && f.kind == evRestart {
			continue // tend scale took it away: nothing of it to restart
		}
		w := newWaiter()
		ws = append(ws, w)
		s.step(in, event{kind: f.kind, reply: w})
	}
	f.reply <- ws
}

// instanceRequest asks one instance something (a reload, instance by
// instance).
type instanceRequest struct {
	index int
	kind  eventKind
	w     *waiter
	// refresh reads the stored definition and env files again first,
	// or takes candidate when not nil.
	refresh   bool
	candidate *definition.Definition
}

func (s *Supervisor) instanceRequest(r instanceRequest) {
	if r.refresh {
		if err := s.refreshDefinition(r.candidate); err != nil {
			r.w.c <- result{err: err}
			return
		}
	}
	for _, in := range s.insts {
		if in.index == r.index && !in.leaving {
			s.step(in, event{kind: r.kind, reply: r.w})
			return
		}
	}
	r.w.c <- result{err: ErrStopped}
}

// scaleRequest changes the number of instances.
type scaleRequest struct {
	n     int
	reply chan []*waiter
}

// scale starts instances up to n, or stops those above it; the waiters
// answer when the new ones are ready, or the old ones gone.
func (s *Supervisor) scale(r scaleRequest) {
	// The intent first: a host killed after an instance's fork finds the
	// new number in the definition, and keeps (or starts) that instance.
	s.storeInstances(r.n)
	var ws []*waiter
	active := 0
	for _, in := range s.insts {
		if !in.leaving {
			active++
		}
	}
	for i := active; i < r.n; i++ {
		in := s.addInstance(i)
		in.started = newWaiter()
		ws = append(ws, in.started)
		s.step(in, event{kind: evStart})
	}
	if len(ws) > 0 {
		crashAt("scale-forked")
	}
	for _, in := range append([]*instance(nil), s.insts...) {
		if in.index >= r.n && !in.leaving {
			in.leaving = true
			// A restart under way waits for this instance no longer:
			// it is done with it (its stop would answer it "stopped",
			// and the restart would wait for the whole daemon's end).
			for _, w := range in.m.restartWaiters {
				s.answers = append(s.answers, doReply{w, result{}})
			}
			in.m.restartWaiters = nil
			w := newWaiter()
			ws = append(ws, w)
			s.step(in, event{kind: evStop, reply: w})
		}
	}
	s.events.Info("scaled", "instances", r.n)
	r.reply <- ws
}

// storeInstances makes n the daemon's number of instances, in its
// definition and the stored one, so that a restart, a reload or tend
// resurrect keeps it.
func (s *Supervisor) storeInstances(n int) {
	def := *s.def
	def.Instances = n
	s.def = &def
	if !s.stateful() {
		return
	}
	if err := statedir.WriteJSON(s.cfg.Dir.DefinitionFile(), s.def, 0o600); err != nil {
		s.events.Error("store instances", "err", err)
	}
}

// signalAll sends sig to every instance's main process (or, with all or
// without one, to all of its processes), for tend signal and tend run.
func (s *Supervisor) signalAll(sig syscall.Signal, all bool) (pid, n int, err error) {
	for _, in := range s.insts {
		cur := in.m.cur
		if cur == nil {
			continue
		}
		if !all && cur.main.PID != 0 {
			if err := cur.main.Signal(sig); err == nil {
				if n == 0 {
					pid = cur.main.PID
				}
				n++
			}
			continue
		}
		n += s.tracker.signal(cur.id, sig)
	}
	if n == 0 {
		return 0, 0, ErrNotRunning
	}
	if all || n > 1 {
		pid = 0
	}
	s.events.Info("signal sent", "signal", proc.SignalName(sig), "processes", n)
	return pid, n, nil
}
