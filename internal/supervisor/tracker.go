package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// tracker knows which processes belong to an incarnation of the daemon:
// every process it started, however they forked or setsid'd. There are two
// kinds: a cgroup per incarnation where cgroup v2 is writable, and
// otherwise the supervisor's own descendants (it is their child
// subreaper, so orphans come back to it). All its methods run on the loop.
type tracker interface {
	// path is the daemon's cgroup, "" without one.
	path() string
	// prepare readies incarnation inc before it is spawned: a descriptor
	// of the cgroup to be born in, or nil.
	prepare(inc int) (*os.File, error)
	// takeOver watches incarnation inc, which a host before this one
	// started (see resume.go).
	takeOver(inc int)
	// members returns the live processes of inc.
	members(inc int) []proc.Identity
	// empty reports whether inc has no process left.
	empty(inc int) bool
	// signal sends sig to every process of inc and returns how many.
	signal(inc int, sig syscall.Signal) int
	// kill ends every process of inc with SIGKILL.
	kill(inc int)
	// end releases what inc held, once it has no process left.
	end(inc int)
	// close releases the tracker.
	close()
}

// newTracker returns the cgroup tracker where it can, else the tree
// tracker.
func newTracker(s *Supervisor, cfg Config) tracker {
	if cfg.NoCgroup || os.Getenv(CgroupEnv) == "off" {
		return &treeTracker{s: s}
	}
	if rs := cfg.Resume; rs != nil && rs.Record.Cgroup != "" {
		// Taken over: the daemon's group is where its processes are.
		if g, err := cgroup.Open(rs.Record.Cgroup); err == nil {
			return &cgroupTracker{s: s, g: g, incs: map[int]*cgroupInc{}}
		}
	}
	parent, err := cgroup.Parent()
	if err != nil {
		s.events.Info("no cgroup: tracking the daemon's processes as the supervisor's descendants", "why", err.Error())
		return &treeTracker{s: s}
	}
	g, err := cgroup.Create(parent, groupName(cfg))
	if err != nil {
		s.events.Warn("no cgroup: tracking the daemon's processes as the supervisor's descendants", "why", err.Error())
		return &treeTracker{s: s}
	}
	return &cgroupTracker{s: s, g: g, incs: map[int]*cgroupInc{}}
}

// groupName names the daemon's cgroup after the daemon and its folder, so
// that daemons of the same name in two state directories do not meet.
func groupName(cfg Config) string {
	if cfg.Dir.Path == "" {
		return "tend-run-" + strconv.Itoa(os.Getpid())
	}
	sum := sha256.Sum256([]byte(cfg.Dir.Path))
	return "tend-" + cfg.Dir.Name + "-" + hex.EncodeToString(sum[:4])
}

// cgroupTracker holds each incarnation in a sub-group of the daemon's
// group, and watches its cgroup.events so that the loop learns when the
// last process is gone even if it was not the supervisor's child.
type cgroupTracker struct {
	s    *Supervisor
	g    *cgroup.Group
	incs map[int]*cgroupInc
}

type cgroupInc struct {
	g    *cgroup.Group
	w    *cgroup.Watch // a watch of its own, with a goroutine
	stop func()        // ends a watch on the shared Watcher
	quit chan struct{} // ends the watch's goroutine
}

// groupChanged is the message of an incarnation's cgroup watch.
type groupChanged struct{ inc int }

func (t *cgroupTracker) path() string { return t.g.Path() }

func (t *cgroupTracker) prepare(inc int) (*os.File, error) {
	sub, err := t.g.Sub(strconv.Itoa(inc))
	if err != nil {
		return nil, err
	}
	t.watch(inc, sub)
	return sub.FD()
}

func (t *cgroupTracker) takeOver(inc int) {
	if sub, err := cgroup.Open(filepath.Join(t.g.Path(), strconv.Itoa(inc))); err == nil {
		t.watch(inc, sub)
	}
}

// watch registers incarnation inc's group, and has its changes posted to
// the loop.
func (t *cgroupTracker) watch(inc int, sub *cgroup.Group) {
	ci := &cgroupInc{g: sub, quit: make(chan struct{})}
	if watcher := t.s.cfg.Watcher; watcher != nil {
		// The shared watcher calls back: no goroutine per incarnation.
		if x, err := watcher.Changes(filepath.Join(sub.Path(), "cgroup.events"), func() { t.s.inbox.post(groupChanged{inc}) }); err == nil {
			ci.stop = x.Remove
		}
	} else if w, err := sub.Watch(); err == nil {
		ci.w = w
		go func() {
			for {
				select {
				case <-w.C:
					t.s.inbox.post(groupChanged{inc})
				case <-ci.quit:
					return
				}
			}
		}()
	}
	t.incs[inc] = ci
}

func (t *cgroupTracker) group(inc int) *cgroup.Group {
	if ci := t.incs[inc]; ci != nil {
		return ci.g
	}
	return nil
}

func (t *cgroupTracker) members(inc int) []proc.Identity {
	g := t.group(inc)
	if g == nil {
		return nil
	}
	pids, _ := g.Procs()
	return identities(pids)
}

func (t *cgroupTracker) empty(inc int) bool {
	g := t.group(inc)
	if g == nil {
		return true
	}
	populated, err := g.Populated()
	return err == nil && !populated
}

func (t *cgroupTracker) signal(inc int, sig syscall.Signal) int {
	g := t.group(inc)
	if g == nil {
		return 0
	}
	n, _ := g.Signal(sig)
	return n
}

func (t *cgroupTracker) kill(inc int) {
	if g := t.group(inc); g != nil {
		g.Kill()
	}
}

func (t *cgroupTracker) end(inc int) {
	ci := t.incs[inc]
	if ci == nil {
		return
	}
	delete(t.incs, inc)
	close(ci.quit)
	if ci.stop != nil {
		ci.stop()
	}
	if ci.w != nil {
		ci.w.Close()
	}
	ci.g.Remove() // refused, after a moment, if a process survived
}

func (t *cgroupTracker) close() {
	for inc := range t.incs {
		t.end(inc)
	}
	t.g.Remove()
}

// treeTracker finds an incarnation's processes among the supervisor's
// descendants: every child of the supervisor that is not a short command
// (see reaper.children), and their descendants. On Linux the supervisor
// is a child subreaper, so a process whose parent dies comes back to it:
// the set is complete, and its last process to end is a child of the
// supervisor, whose SIGCHLD tells the loop.
//
// While one incarnation lives, all of them are its. While several do (a
// reload, instances), each child is attributed to the incarnation it was
// seen to descend from: at each look the tracker records, by pid and start
// time, the descendants of every live main process; before a second
// incarnation starts it records everything as the first's. A process it
// never saw descend from one (it left its tree at once: a double fork
// during the start) goes to the newest incarnation, most likely the one
// starting. A cgroup needs none of this.
type treeTracker struct {
	s     *Supervisor
	owner map[int]owned
}

// owned is a process the tree tracker attributed.
type owned struct {
	id  proc.Identity
	inc int
}

func (t *treeTracker) path() string { return "" }
func (t *treeTracker) takeOver(int) {}
func (t *treeTracker) end(int)      {}
func (t *treeTracker) close()       {}

// prepare records, before a second incarnation starts beside one, that
// everything there is belongs to the first.
func (t *treeTracker) prepare(inc int) (*os.File, error) {
	var others []int
	for _, x := range t.s.live() {
		if x.id != inc {
			others = append(others, x.id)
		}
	}
	if len(others) == 1 {
		for _, id := range t.tree() {
			t.attribute(id, others[0])
		}
	}
	return nil, nil
}

// tree returns every process of the supervisor's tree: its children that
// are not short commands, and their descendants. When the Reaper serves
// other supervisors too (a host), the children of the parent are not all
// this daemon's: a child is, if it is one of its main processes, carries
// its invocation id in its environment, or was seen descending from one
// of its main processes (a process that rewrote its environment, as nginx
// does, is known that way).
func (t *treeTracker) tree() []proc.Identity {
	shared := t.s.reaper.shared()
	if shared {
		t.learn(t.s.live())
	}
	var pids []int
	for _, c := range t.s.reaper.children(t.s) {
		if shared && !t.claims(c) {
			continue
		}
		pids = append(pids, c)
		ds, _ := proc.Descendants(c)
		pids = append(pids, ds...)
	}
	return identities(pids)
}

// claims reports whether a child of the parent is this daemon's, in a
// shared Reaper (see tree).
func (t *treeTracker) claims(pid int) bool {
	id, err := proc.Lookup(pid)
	if err != nil {
		return false
	}
	if o, ok := t.owner[pid]; ok && o.id == id {
		return true
	}
	for _, inc := range t.s.live() {
		if inc.main == id {
			return true
		}
	}
	if proc.HasEnv(pid, status.InvocationEnv, t.s.invID) {
		newest := 0
		for _, x := range t.s.live() {
			newest = max(newest, x.id)
		}
		t.attribute(id, newest)
		return true
	}
	return false
}

func (t *treeTracker) attribute(id proc.Identity, inc int) {
	if t.owner == nil {
		t.owner = map[int]owned{}
	}
	t.owner[id.PID] = owned{id, inc}
}

// learn records the descendants of every live main process, and forgets
// what is gone.
func (t *treeTracker) learn(live []*incarnation) {
	for pid, o := range t.owner {
		if !o.id.Alive() {
			delete(t.owner, pid)
		}
	}
	for _, inc := range live {
		if inc.main.PID == 0 || !inc.main.Alive() {
			continue
		}
		t.attribute(inc.main, inc.id)
		ds, _ := proc.Descendants(inc.main.PID)
		for _, id := range identities(ds) {
			t.attribute(id, inc.id)
		}
	}
}

// ownerOf is the incarnation a process belongs to.
func (t *treeTracker) ownerOf(id proc.Identity, newest int) int {
	if o, ok := t.owner[id.PID]; ok && o.id == id {
		return o.inc
	}
	return newest
}

func (t *treeTracker) members(inc int) []proc.Identity {
	live := t.s.live()
	all := t.tree()
	if len(live) <= 1 {
		return all
	}
	t.learn(live)
	newest := 0
	for _, x := range live {
		newest = max(newest, x.id)
	}
	var out []proc.Identity
	for _, id := range all {
		if t.ownerOf(id, newest) == inc {
			out = append(out, id)
		}
	}
	return out
}

// empty counts zombies too: a child that has just exited may have had
// children that are on their way to the supervisor, and it is reaped (and
// the question asked again) in a moment.
func (t *treeTracker) empty(inc int) bool {
	if t.s.reaper.shared() {
		return len(t.members(inc)) == 0
	}
	kids := t.s.reaper.children(t.s)
	if len(t.s.live()) <= 1 || len(kids) == 0 {
		return len(kids) == 0
	}
	return len(t.members(inc)) == 0
}

func (t *treeTracker) signal(inc int, sig syscall.Signal) int {
	n := 0
	for _, id := range t.members(inc) {
		if id.Signal(sig) == nil {
			n++
		}
	}
	return n
}

func (t *treeTracker) kill(inc int) { t.signal(inc, syscall.SIGKILL) }

// identities looks pids up, skipping those that are gone or zombies.
func identities(pids []int) []proc.Identity {
	slices.Sort(pids)
	pids = slices.Compact(pids)
	out := make([]proc.Identity, 0, len(pids))
	for _, pid := range pids {
		if id, err := proc.Lookup(pid); err == nil && id.Alive() {
			out = append(out, id)
		}
	}
	return out
}

// errNotMember refuses a pid that is not a process of the incarnation.
var errNotMember = errors.New("not one of the daemon's processes")

// member returns the identity of pid if it is a live process of inc.
func member(t tracker, inc, pid int) (proc.Identity, error) {
	for _, id := range t.members(inc) {
		if id.PID == pid {
			return id, nil
		}
	}
	return proc.Identity{}, fmt.Errorf("pid %d: %w", pid, errNotMember)
}
