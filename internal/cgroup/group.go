package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unicode"
)

const (
	// killTimeout bounds Kill's fallback, which signals and re-lists until
	// no process is left.
	killTimeout = 5 * time.Second
	// removeTimeout bounds how long Remove waits for exiting processes to
	// leave. SIGKILLed processes leave within milliseconds, unless they
	// must first release a lot of memory.
	removeTimeout = 5 * time.Second
)

// ErrPopulated reports a group that still has processes where an empty one
// was needed: Create found a live group of that name, or Remove gave up
// waiting for the processes to leave.
var ErrPopulated = errors.New("group has processes")

// ErrInvalidName reports a group name that is empty, ".", "..", longer than
// 255 bytes, or holds a '/' or a control character.
var ErrInvalidName = errors.New("invalid group name")

// Group is one cgroup v2 group: a directory of a cgroup2 file system. It
// holds only the path, so it is safe for concurrent use, and two processes
// that Open the same path name the same group. The zero Group is not usable;
// make one with Create, Open or Sub.
type Group struct {
	path string
}

// Parent returns the directory under which Create should put a daemon's
// groups: the calling process's own cgroup v2 group, if it can make a group
// there (it tries, and removes the trial group at once). Otherwise it
// returns an error wrapping [errors.ErrUnsupported] that says why: no
// cgroup2 file system, the process's group is not visible in one, or no
// right to create groups there.
func Parent() (string, error) {
	dir, err := parent()
	if err != nil {
		return "", fmt.Errorf("cgroup: parent: %w", err)
	}
	return dir, nil
}

// Create makes the group name in parent, a directory of a cgroup2 file
// system (usually the one Parent returned), with mode 0755. A group of that
// name that exists and is empty is reused; one that has processes is an
// error wrapping [ErrPopulated]. A name that is not a plain file name is an
// error wrapping [ErrInvalidName]. Where the system cannot hold the group
// (not cgroup2, no right to write) the error wraps [errors.ErrUnsupported].
func Create(parent, name string) (*Group, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("cgroup: create %q in %s: %w", name, parent, err)
	}
	g, err := create(parent, name)
	if err != nil {
		return nil, fmt.Errorf("cgroup: create %s: %w", filepath.Join(parent, name), err)
	}
	return g, nil
}

// Open returns the existing group at path, for instance one whose path a
// supervisor wrote into its status file before it died. It refuses, with an
// error wrapping [fs.ErrInvalid], a path that is relative, outside every
// cgroup2 mount, or a mount's root (the root group holds every process of
// the system); a path that does not exist is an error wrapping
// [fs.ErrNotExist].
func Open(path string) (*Group, error) {
	g, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("cgroup: open %s: %w", path, err)
	}
	return g, nil
}

// Path returns the group's directory, as Open accepts it.
func (g *Group) Path() string { return g.path }

// Sub creates (or reuses, as Create does) the child group name of g, e.g.
// one per incarnation of a daemon. The processes of a child count as the
// parent's for Procs, Populated, Signal, Kill and Remove.
func (g *Group) Sub(name string) (*Group, error) {
	return Create(g.path, name)
}

// FD opens the group's directory as an O_PATH descriptor for
// [syscall.SysProcAttr] UseCgroupFD and CgroupFD, so that the child is born
// in the group (clone3 with CLONE_INTO_CGROUP) and never runs outside it,
// not even for the moment between fork and a move. The caller closes the
// file once the child has started. Starting fails on kernels before 5.7.
func (g *Group) FD() (*os.File, error) {
	f, err := g.fd()
	if err != nil {
		return nil, g.fail("open", err)
	}
	return f, nil
}

// Procs returns the pids of every process in the group and its sub-groups,
// sorted and without repeats. The list is a snapshot: processes may fork or
// exit as it is read.
func (g *Group) Procs() ([]int, error) {
	pids, err := g.procs()
	if err != nil {
		return nil, g.fail("procs", err)
	}
	return pids, nil
}

// Populated reports whether the group or any of its sub-groups has a live
// process, as the kernel counts it in cgroup.events. A process leaves the
// count when it exits, before its parent reaps it.
func (g *Group) Populated() (bool, error) {
	p, err := g.populated()
	if err != nil {
		return false, g.fail("events", err)
	}
	return p, nil
}

// Signal sends sig to every process in the group and its sub-groups and
// returns how many it reached. A process that exits meanwhile is skipped,
// not an error; one forked meanwhile may be missed (Kill misses none). A
// process whose pid is reused between listing and signalling is never hit:
// each is pinned with a pidfd and signalled only if still in the group
// (kernels before 5.3 lack pidfds and leave that window open). The error,
// if any, joins one error per process that could not be signalled.
func (g *Group) Signal(sig syscall.Signal) (int, error) {
	n, err := g.signal(sig)
	if err != nil {
		return n, g.fail("signal", err)
	}
	return n, nil
}

// Kill sends SIGKILL to every process in the group and its sub-groups at
// once, by writing to cgroup.kill, which also kills the processes forked
// while it runs. It does not wait for them to exit: Populated and Watch tell
// when they have. On kernels before 5.14, which lack cgroup.kill, it signals
// the processes one by one until none is left, for at most a few seconds.
func (g *Group) Kill() error {
	if err := g.kill(); err != nil {
		return g.fail("kill", err)
	}
	return nil
}

// Remove removes the group and its sub-groups, deepest first. It does not
// kill: the groups must be empty, or emptying (a group whose last process
// is still exiting refuses removal with EBUSY for a moment, so Remove
// retries for up to a few seconds before failing with an error wrapping
// [ErrPopulated]). A group that does not exist is not an error.
func (g *Group) Remove() error {
	if err := g.remove(removeTimeout); err != nil {
		return g.fail("remove", err)
	}
	return nil
}

// fail wraps err with the operation and the group's path.
func (g *Group) fail(op string, err error) error {
	return fmt.Errorf("cgroup: %s %s: %w", op, g.path, err)
}

// checkName accepts a group name that is one plain directory entry.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	case len(name) > 255:
		return fmt.Errorf("%w: longer than 255 bytes", ErrInvalidName)
	}
	for _, r := range name {
		switch {
		case r == '/':
			return fmt.Errorf("%w: contains '/'", ErrInvalidName)
		case unicode.IsControl(r):
			// A newline would break the lines of /proc/PID/cgroup (the
			// kernel refuses it too); the others garble listings.
			return fmt.Errorf("%w: contains control character %U", ErrInvalidName, r)
		}
	}
	return nil
}
