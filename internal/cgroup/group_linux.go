package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// create makes (or reuses) the group name in parent.
func create(parent, name string) (*Group, error) {
	if err := inCgroup2(parent); err != nil {
		return nil, err
	}
	g := &Group{path: filepath.Join(parent, name)}
	err := unix.Mkdir(g.path, 0o755)
	switch {
	case err == nil:
		return g, nil
	case err == unix.EACCES || err == unix.EPERM || err == unix.EROFS:
		return nil, fmt.Errorf("%w: %w", errors.ErrUnsupported, err)
	case err != unix.EEXIST:
		return nil, err
	}
	// The name may be taken by one of parent's own files (cgroup.procs).
	if fi, err := os.Lstat(g.path); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%w: taken by a file", ErrInvalidName)
	}
	populated, err := g.populated()
	if err != nil {
		return nil, err
	}
	if populated {
		return nil, ErrPopulated
	}
	return g, nil
}

// open checks that path is a group below the root of a cgroup2 mount.
func open(path string) (*Group, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%w: not an absolute path", fs.ErrInvalid)
	}
	path = filepath.Clean(path)
	mounts, err := cgroup2Mounts()
	if err != nil {
		return nil, err
	}
	if len(mounts) == 0 {
		return nil, fmt.Errorf("%w: no cgroup2 file system mounted", errors.ErrUnsupported)
	}
	below := false
	for _, m := range mounts {
		if path == m.point {
			return nil, fmt.Errorf("%w: the root group of a cgroup2 mount", fs.ErrInvalid)
		}
		below = below || strings.HasPrefix(path, strings.TrimSuffix(m.point, "/")+"/")
	}
	if !below {
		return nil, fmt.Errorf("%w: not below a cgroup2 mount", fs.ErrInvalid)
	}
	// A symlink in the path, or another file system mounted below, could
	// still lead elsewhere: the file system itself must be cgroup2.
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fmt.Errorf("%w: not a directory", fs.ErrInvalid)
	}
	if err := inCgroup2(path); err != nil {
		return nil, fmt.Errorf("%w: not in a cgroup2 file system", fs.ErrInvalid)
	}
	return &Group{path: path}, nil
}

func (g *Group) fd() (*os.File, error) {
	fd, err := unix.Open(g.path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), g.path), nil
}

// procs reads cgroup.procs of g and of every group below it.
func (g *Group) procs() ([]int, error) {
	var pids []int
	err := walk(g.path, func(dir string) error {
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			return err
		}
		for line := range strings.FieldsSeq(string(data)) {
			pid, err := strconv.Atoi(line)
			if err != nil {
				return fmt.Errorf("%s/cgroup.procs: bad pid %q", dir, line)
			}
			pids = append(pids, pid)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The kernel may list a pid twice when a process moved out and back,
	// or a pid was reused, during the read.
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// walk calls fn for dir and then for each group below it, parents first.
// A sub-group removed during the walk is skipped; dir itself must exist.
func walk(dir string, fn func(dir string) error) error {
	if err := fn(dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if err := walk(filepath.Join(dir, e.Name()), fn); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// populated reads the "populated 0|1" line of cgroup.events.
func (g *Group) populated() (bool, error) {
	name := filepath.Join(g.path, "cgroup.events")
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("populated ")); ok {
			return string(v) != "0", nil
		}
	}
	return false, fmt.Errorf("%s: no populated line", name)
}
