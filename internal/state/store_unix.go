//go:build unix

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Store is an opened state directory. It holds no open files, so it needs
// no Close, and its methods are safe for concurrent use.
type Store struct {
	root string
}

// Open returns the Store rooted at root, creating root (mode 0700) and any
// missing parents (mode 0700, as the XDG spec asks) when needed. It refuses
// a root that is a symbolic link, is not a directory, is owned by another
// user, or is writable by group or others; the error says how to fix it.
// A relative root is made absolute.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", root, err)
	}
	fi, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fmt.Errorf("state: create state directory: %w", err)
		}
		// EEXIST means someone else created it first; the checks below
		// decide whether it is acceptable.
		if err := os.Mkdir(abs, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("state: create state directory: %w", err)
		}
		fi, err = os.Lstat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("state: open state directory: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return nil, fmt.Errorf("state: open %s: cannot read its owner", abs)
	}
	if err := checkPrivate(abs, "state directory", fi.Mode(), st.Uid); err != nil {
		return nil, err
	}
	return &Store{root: abs}, nil
}

// checkPrivate reports whether path, described by its lstat mode and
// owner, is a directory only the current user can write to. what names it
// in the error.
func checkPrivate(path, what string, mode fs.FileMode, uid uint32) error {
	euid := os.Geteuid()
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("state: %s %s is a symbolic link, which tend does not follow; "+
			"remove the link (or set TEND_HOME to the real directory)", what, path)
	case !mode.IsDir():
		return fmt.Errorf("state: %s %s is not a directory; move it out of the way", what, path)
	case int(uid) != euid:
		return fmt.Errorf("state: %s %s is owned by uid %d, not by you (uid %d); "+
			"chown it to yourself or use another TEND_HOME", what, path, uid, euid)
	case mode.Perm()&0o022 != 0:
		return fmt.Errorf("state: %s %s is writable by group or others (mode %04o); "+
			"fix it with: chmod go-w %s", what, path, mode.Perm(), path)
	}
	return nil
}

// Root returns the absolute path of the state directory.
func (s *Store) Root() string { return s.root }

// Dir returns the folder for the daemon called name, without creating or
// checking anything on disk. It fails only when name is invalid
// ([ErrBadName]).
func (s *Store) Dir(name string) (Dir, error) {
	if err := ValidateName(name); err != nil {
		return Dir{}, err
	}
	return Dir{Name: name, Path: filepath.Join(s.root, name)}, nil
}

// Create returns the folder for the daemon called name, creating it with
// mode 0700 if missing. The folder is made with mkdirat relative to the
// root opened with O_NOFOLLOW, and an existing entry is inspected with
// fstatat(AT_SYMLINK_NOFOLLOW): a symbolic link planted at the name is
// never followed and is reported as an error, as is anything that is not
// a directory owned by the current user and closed to writes by others.
// Creating an existing, acceptable folder succeeds.
func (s *Store) Create(name string) (Dir, error) {
	d, err := s.Dir(name)
	if err != nil {
		return Dir{}, err
	}
	rfd, err := unix.Open(s.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return Dir{}, fmt.Errorf("state: open state directory %s: %w", s.root, err)
	}
	defer unix.Close(rfd)
	if err := unix.Mkdirat(rfd, name, 0o700); err != nil && err != unix.EEXIST {
		return Dir{}, fmt.Errorf("state: create %s: %w", d.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(rfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return Dir{}, fmt.Errorf("state: create %s: %w", d.Path, err)
	}
	mode := fs.FileMode(st.Mode) & fs.ModePerm
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	default:
		mode |= fs.ModeIrregular
	}
	if err := checkPrivate(d.Path, "daemon folder", mode, st.Uid); err != nil {
		return Dir{}, err
	}
	return d, nil
}

// List returns the names of the daemon folders in the store, sorted.
// Entries that are not directories (including symbolic links) or whose
// names are not valid daemon names are skipped.
func (s *Store) List() ([]string, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("state: list daemons: %w", err)
	}
	var names []string // os.ReadDir sorts by name
	for _, e := range entries {
		if e.Type().IsDir() && ValidateName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Remove deletes the folder of the daemon called name and everything in it.
// A symbolic link at the name is removed, not followed. Removing a daemon
// that has no folder returns an error wrapping [fs.ErrNotExist].
// The caller must make sure no supervisor is using the folder (for example
// by holding [Dir.LockFile]); Remove does not check.
func (s *Store) Remove(name string) error {
	d, err := s.Dir(name)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(d.Path); err != nil {
		return fmt.Errorf("state: remove daemon %s: %w", name, err)
	}
	if err := os.RemoveAll(d.Path); err != nil {
		return fmt.Errorf("state: remove daemon %s: %w", name, err)
	}
	return nil
}
