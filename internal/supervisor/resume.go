package supervisor

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// A host takes over the daemons of the host before it, which died (see
// internal/host): their processes run on, children of the keeper, and the
// descriptors that must outlive a host (the output pipes, the --listen
// sockets, the notify socket) are kept by the keeper too. The supervisor
// keeps and finds them through a Keeper, and a Resumption says where the
// daemon was.

// Keeper keeps the descriptors that must outlive the program that runs
// the supervisor, by key, and gives them to the next one.
type Keeper interface {
	// Keep keeps files under key (a copy: the caller's stay its own).
	Keep(key string, files ...*os.File)
	// Kept returns what a program before this one kept under key, nil
	// when nothing; the files are the caller's.
	Kept(key string) []*os.File
	// Forget closes what is kept under key and under key/: a pipe's
	// kept write end would keep its reader from ever seeing its end.
	Forget(key string)
}

// Resumption is what a host knows of a daemon that a host before it
// supervised: its last record, and the processes the keeper forked for
// it, live or reaped while no host ran.
type Resumption struct {
	Record status.Record
	Live   []Tagged
	Exits  []TaggedExit
}

// Tagged is a live process that was started as a main process of
// incarnation Inc of instance Instance.
type Tagged struct {
	Inc, Instance int
	ID            proc.Identity
}

// TaggedExit is such a process that ended.
type TaggedExit struct {
	Inc, Instance int
	PID           int
	Status        unix.WaitStatus
}

// Tag is how a main process is tagged with the keeper.
func Tag(name string, inc, instance int) string { return fmt.Sprintf("%s/%d/%d", name, inc, instance) }

// ParseTag reads a Tag.
func ParseTag(tag string) (name string, inc, instance int, ok bool) {
	var rest string
	for i := len(tag) - 1; i >= 0; i-- {
		if tag[i] == '/' {
			if rest != "" {
				name = tag[:i]
				break
			}
			rest = tag[i+1:]
		}
	}
	if name == "" {
		return "", 0, 0, false
	}
	n, err := fmt.Sscanf(tag[len(name):], "/%d/%d", &inc, &instance)
	return name, inc, instance, err == nil && n == 2
}

// keep keeps files under the daemon's key, when there is a Keeper.
func (s *Supervisor) keep(key string, files ...*os.File) {
	if s.cfg.Keeper != nil && s.stateful() {
		s.cfg.Keeper.Keep(s.def.Name+"/"+key, files...)
	}
}

// forget forgets what is kept under the daemon's key ("" for all).
func (s *Supervisor) forget(key string) {
	if s.cfg.Keeper != nil && s.stateful() {
		k := s.def.Name
		if key != "" {
			k += "/" + key
		}
		s.cfg.Keeper.Forget(k)
	}
}

// kept returns what was kept under the daemon's key, when resuming.
func (s *Supervisor) kept(key string) []*os.File {
	if s.cfg.Keeper == nil || s.cfg.Resume == nil || !s.stateful() {
		return nil
	}
	return s.cfg.Keeper.Kept(s.def.Name + "/" + key)
}

// listener is bindListener for the n-th --listen socket, or the socket
// kept for it, still listening.
func (s *Supervisor) listener(n int, l definition.ListenSocket, own ownership) (*os.File, error) {
	key := fmt.Sprintf("listen/%d", n)
	if kept := s.kept(key); len(kept) == 1 {
		// Not net.FileListener: it would make the socket, which the
		// daemon shares, non-blocking.
		if on, err := unix.GetsockoptInt(int(kept[0].Fd()), unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && on == 1 {
			return kept[0], nil
		}
		kept[0].Close()
	}
	f, err := bindListener(l, own)
	if err == nil {
		s.keep(key, f)
	}
	return f, err
}

// notifySocket is listenNotify, or the socket kept for the daemon:
// datagrams sent while no host ran wait in it.
func (s *Supervisor) notifySocket(d *definition.Definition) (*notify.Server, error) {
	if kept := s.kept("notify"); len(kept) == 1 {
		srv, err := notify.FromFile(kept[0])
		kept[0].Close()
		if err == nil {
			return srv, nil
		}
	}
	srv, err := listenNotify(s.cfg.Dir, d)
	if err == nil {
		if f, err := srv.File(); err == nil {
			s.keep("notify", f)
			f.Close()
		}
	}
	return srv, err
}

// resume takes over every instance where the record says it was: the
// first act of a supervisor with a Resumption, in place of evStart.
func (s *Supervisor) resume(rs *Resumption) {
	// The definition has the number of a scale whose record the host
	// that died did not write (scale stores it first).
	n := max(rs.Record.InstanceCount, s.def.InstanceCount(), 1)
	for i := range n {
		s.addInstance(i)
	}
	exits := map[int]unix.WaitStatus{}
	for _, e := range rs.Exits {
		exits[e.PID] = e.Status
	}
	var reaped reapedBatch
	for _, in := range s.insts {
		r, strays := s.resumptionOf(in.index, rs)
		for _, id := range strays {
			// Started by a host that died before it recorded what
			// became of it, and not the instance's: not supervised.
			s.events.Warn("taken over: ending a process no record names", "pid", id.PID)
			id.Signal(unix.SIGKILL)
		}
		if r.inc != 0 {
			s.takeOver(in, r)
		}
		s.step(in, event{kind: evResume, resumed: r})
		if r.inc == 0 || r.main.PID == 0 {
			continue
		}
		switch ws, ok := exits[r.main.PID]; {
		case ok:
			reaped = append(reaped, reapedChild{r.main.PID, ws})
		case !r.main.Alive():
			s.inbox.post(mainGone{inc: r.inc, id: r.main, late: true})
		}
		inst := instanceRecord(rs.Record, in.index)
		switch inst.State {
		case status.Stopping:
			if !rs.Record.WantUp {
				s.step(in, event{kind: evStop})
			}
		case status.Restarting:
			s.step(in, event{kind: evRestart})
		}
	}
	if len(reaped) > 0 {
		s.inbox.post(reaped)
	}
	for _, inc := range s.live() {
		s.inbox.post(groupChanged{inc.id}) // checkEmpty, once the loop runs
	}
}

// takeOver registers a running incarnation: its watchers, its cgroup, its
// main process as this supervisor's.
func (s *Supervisor) takeOver(in *instance, r *resumption) {
	run := &running{}
	s.incs[r.inc], s.byInc[r.inc] = run, in
	s.lastInc = max(s.lastInc, r.inc)
	if _, err := s.readying.prepare(r.inc, run); err != nil {
		s.events.Warn("taken over without its readiness pipe", "err", err.Error())
	}
	run.started()
	s.tracker.takeOver(r.inc)
	if r.main.PID != 0 {
		s.reaper.own(s, r.main.PID)
		s.watchMain(r.inc, r.main)
	}
	if !r.ready && s.readying.mode.Kind == definition.ReadyProbe {
		s.readying.watch(r.inc, run)
	}
}

// instanceRecord is instance index's part of rec.
func instanceRecord(rec status.Record, index int) status.Instance {
	if len(rec.Instances) > 1 {
		for _, i := range rec.Instances {
			if i.Index == index {
				return i
			}
		}
		return status.Instance{Index: index}
	}
	if index > 0 {
		// One instance recorded: a later one was not (a scale whose
		// host died before its record).
		return status.Instance{Index: index}
	}
	inc := rec.Incarnation
	return status.Instance{Index: 0, State: rec.State, Incarnation: inc, PID: rec.PID, StartTime: rec.StartTime,
		Adopted: rec.Adopted, Ready: rec.Ready, StartedAt: rec.StartedAt, Restarts: rec.Restarts, Reloads: rec.Reloads,
		LastExit: rec.LastExit, NextStart: rec.NextStart, Next: rec.Next}
}

// resumptionOf works out where instance index was: the main process its
// record names if it still runs, else the newest process tagged for it
// (the record may lag behind a start), else its recorded main process,
// which ended while no host ran, else nothing. It also returns the
// instance's other tagged processes, which no record names any more.
func (s *Supervisor) resumptionOf(index int, rs *Resumption) (*resumption, []proc.Identity) {
	inst := instanceRecord(rs.Record, index)
	r := &resumption{inc: inst.Incarnation, main: inst.Main(), adopted: inst.Adopted, startedAt: inst.StartedAt,
		ready: inst.Ready, restarts: inst.Restarts, reloads: inst.Reloads, lastExit: inst.LastExit, runs: runsOf(&rs.Record)}
	var newest *Tagged
	var tagged []Tagged
	for i := range rs.Live {
		t := rs.Live[i]
		if t.Instance != index {
			continue
		}
		tagged = append(tagged, t)
		if newest == nil || t.Inc > newest.Inc {
			newest = &rs.Live[i]
		}
	}
	switch {
	case r.main.PID != 0 && r.main.Alive():
	case newest != nil && newest.Inc >= r.inc:
		r.inc, r.main, r.adopted, r.ready = newest.Inc, newest.ID, "", false
		r.startedAt = time.Now()
	case r.main.PID != 0:
		// Ended while no host ran: its exit (kept by the keeper, or
		// unknown) goes to the machine right after.
	case inst.State == status.BackingOff:
		r.inc, r.nextStart = 0, inst.NextStart
	case inst.State == status.Scheduled: // between two runs
		r.inc = 0
	case r.inc != 0 && len(s.tracker.members(r.inc)) > 0:
		// Processes without a main one (a daemonized program left
		// several): they are the incarnation.
	default:
		r.inc = 0
	}
	var strays []proc.Identity
	for _, t := range tagged {
		if t.Inc != r.inc && t.ID != r.main {
			strays = append(strays, t.ID)
		}
	}
	return r, strays
}
