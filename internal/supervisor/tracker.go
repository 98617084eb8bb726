package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"

	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/proc"
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
	w    *cgroup.Watch
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
	ci := &cgroupInc{g: sub, quit: make(chan struct{})}
	if w, err := sub.Watch(); err == nil {
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
	return sub.FD()
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

// treeTracker counts as the current incarnation's every child of the
// supervisor that is not a short command (see reaper.children) and all
// their descendants. Only one incarnation has processes at a time (a
// restart ends the old one's before it starts the next), and on Linux the
// supervisor is a child subreaper, so a process whose parent dies comes
// back to it: the set is complete, and its last process to end is a child
// of the supervisor, whose SIGCHLD tells the loop.
type treeTracker struct {
	s *Supervisor
}

func (t *treeTracker) path() string                  { return "" }
func (t *treeTracker) prepare(int) (*os.File, error) { return nil, nil }
func (t *treeTracker) end(int)                       {}
func (t *treeTracker) close()                        {}

func (t *treeTracker) members(int) []proc.Identity {
	var pids []int
	for _, c := range t.s.reaper.children(t.s) {
		pids = append(pids, c)
		ds, _ := proc.Descendants(c)
		pids = append(pids, ds...)
	}
	return identities(pids)
}

// empty counts zombies too: a child that has just exited may have had
// children that are on their way to the supervisor, and it is reaped (and
// the question asked again) in a moment.
func (t *treeTracker) empty(int) bool {
	return len(t.s.reaper.children(t.s)) == 0
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
