//go:build unix

package keeper

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ResumeArg is the argument after which a keeper that executes itself
// again (an upgrade) passes the descriptor of its state.
const ResumeArg = "--resume"

// saved is what a keeper hands to the program it executes itself as:
// execve keeps its pid, its children and its descriptors; this says what
// they are.
type saved struct {
	Children []Child
	Pending  []Exit
	Store    map[string][]int // descriptor numbers, kept open across the exec
	Served   bool
	Hosts    []Child
}

// execUpgrade executes the program k.upgrade in place of this keeper,
// with its state in a memory file, once the host has exited: the daemons
// (its children) and the stored descriptors stay. It returns only on
// failure, after which the keeper goes on as it was.
func (k *keeper) execUpgrade() error {
	path := k.upgrade
	k.upgrade = ""
	s := saved{Store: map[string][]int{}, Served: k.served, Hosts: k.hosts}
	k.r.lock()
	for _, c := range k.r.children {
		s.Children = append(s.Children, c)
	}
	// Hold the lock through the exec: no child is reaped by this
	// program whose exit the next could not learn of (zombies wait).
	defer k.r.unlock()
	for _, e := range k.pending {
		s.Pending = append(s.Pending, e)
	}
	var keep []int
	for key, files := range k.store {
		for _, f := range files {
			fd, err := rawFD(f) // not Fd: see rawFD
			if err != nil {
				return fmt.Errorf("keeper: upgrade: %w", err)
			}
			s.Store[key] = append(s.Store[key], fd)
			keep = append(keep, fd)
		}
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&s); err != nil {
		return fmt.Errorf("keeper: upgrade: %w", err)
	}
	state, err := memFile(b.Bytes())
	if err != nil {
		return fmt.Errorf("keeper: upgrade: %w", err)
	}
	keep = append(keep, int(state.Fd()))
	for _, fd := range keep {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("keeper: upgrade: %w", err)
		}
	}
	argv := append([]string{}, os.Args...)
	for i, a := range argv {
		if a == ResumeArg {
			argv = argv[:i] // the resume of a previous upgrade
			break
		}
	}
	argv = append(argv, ResumeArg, strconv.Itoa(int(state.Fd())))
	k.cfg.Logf("upgrading: executing %s in place", path)
	err = unix.Exec(path, argv, os.Environ())
	for _, fd := range keep {
		unix.CloseOnExec(fd)
	}
	state.Close()
	return fmt.Errorf("keeper: upgrade: execute %s: %w", path, err)
}

// resume takes back the state a keeper passed to this one (execUpgrade),
// and returns the children, for the reaper.
func (k *keeper) resume(f *os.File) ([]Child, error) {
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, maxBig))
	if err != nil {
		return nil, fmt.Errorf("keeper: resume: %w", err)
	}
	var s saved
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return nil, fmt.Errorf("keeper: resume: %w", err)
	}
	for _, e := range s.Pending {
		k.pending[e.PID] = e
	}
	for key, fds := range s.Store {
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			k.store[key] = append(k.store[key], os.NewFile(uintptr(fd), key))
		}
	}
	k.served, k.hosts = s.Served, s.Hosts
	return s.Children, nil
}

// ResumeFile returns the state file named after ResumeArg in args, or
// nil.
func ResumeFile(args []string) *os.File {
	for i, a := range args {
		if a == ResumeArg && i+1 < len(args) {
			if fd, err := strconv.Atoi(args[i+1]); err == nil && fd > 2 {
				unix.CloseOnExec(fd)
				return os.NewFile(uintptr(fd), "keeper-state")
			}
		}
	}
	return nil
}
