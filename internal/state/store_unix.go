//go:build unix

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	case mode.Perm()&0o022 != 0 && what == "state directory":
		// Others could have planted folders in it meanwhile: the advice
		// says to look, and List and Existing ignore what is not ours.
		return fmt.Errorf("state: %s %s is writable by group or others (mode %04o); "+
			"fix it with: chmod go-w %s, then look for folders in it that are not yours (ls -la %s): "+
			"tend ignores them, remove them if you do not know them", what, path, mode.Perm(), path, path)
	case mode.Perm()&0o022 != 0:
		return fmt.Errorf("state: %s %s is writable by group or others (mode %04o); "+
			"fix it with: chmod go-w %s", what, path, mode.Perm(), path)
	}
	return nil
}

// ErrForeign is wrapped by the errors about a daemon's folder or record
// that another user owns or could have written: tend believes nothing in
// it and acts on nothing it names (a planted record could name any of the
// user's processes, a planted definition any command).
var ErrForeign = errors.New("not yours")

// foreign is the error for a folder or file that fails checkPrivate's
// test of ownership.
func foreign(path, what string, uid uint32, mode fs.FileMode) error {
	euid := os.Geteuid()
	if int(uid) != euid {
		return fmt.Errorf("state: %s %s belongs to uid %d, %w (uid %d): tend does not believe it or act on it; "+
			"if you did not create it, someone else did: look at it, then remove it", what, path, uid, ErrForeign, euid)
	}
	return fmt.Errorf("state: %s %s is writable by group or others (mode %04o), so it may not be yours (%w): "+
		"tend does not believe it or act on it; if you trust its content: chmod go-w %s", what, path, mode.Perm(), ErrForeign, path)
}

// private reports whether an lstat result describes a directory or file
// (dir says which) owned by the current user and closed to writes by
// others.
func private(mode fs.FileMode, uid uint32, dir bool) bool {
	kindOK := mode.IsRegular()
	if dir {
		kindOK = mode.IsDir()
	}
	return kindOK && int(uid) == os.Geteuid() && mode.Perm()&0o022 == 0
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

// List returns the names of the daemon folders in the store, sorted as
// [CompareNames] sorts them (d2 before d10). Entries that are not
// directories (including symbolic links) or whose names are not valid
// daemon names are skipped, and so are folders that are not the user's
// own (see [Store.Foreign]).
func (s *Store) List() ([]string, error) {
	names, _, err := s.list()
	slices.SortFunc(names, CompareNames)
	return names, err
}

// Foreign returns the errors about folders in the store that look like a
// daemon's but belong to another user or are writable by others: [List]
// skips them, and nothing in them is believed; a caller reports them.
func (s *Store) Foreign() ([]error, error) {
	_, foreign, err := s.list()
	return foreign, err
}

func (s *Store) list() (names []string, foreignDirs []error, err error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, nil, fmt.Errorf("state: list daemons: %w", err)
	}
	for _, e := range entries { // os.ReadDir sorts by name
		if !e.Type().IsDir() || ValidateName(e.Name()) != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		if st == nil || !private(fi.Mode(), st.Uid, true) {
			uid := uint32(0)
			if st != nil {
				uid = st.Uid
			}
			foreignDirs = append(foreignDirs, foreign(filepath.Join(s.root, e.Name()), "daemon folder", uid, fi.Mode()))
			continue
		}
		names = append(names, e.Name())
	}
	return names, foreignDirs, nil
}

// Existing returns the folder of the daemon called name when it exists
// and is the user's own: an error wrapping [fs.ErrNotExist] when there is
// none, one wrapping [ErrForeign] for a folder another user owns or could
// write to, which nothing may act on.
func (s *Store) Existing(name string) (Dir, error) {
	d, err := s.Dir(name)
	if err != nil {
		return Dir{}, err
	}
	fi, err := os.Lstat(d.Path)
	if err != nil {
		return Dir{}, fmt.Errorf("state: daemon %s: %w", name, err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil || !private(fi.Mode(), st.Uid, true) {
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.Mode().IsDir() {
			return Dir{}, fmt.Errorf("state: daemon folder %s is not a directory (%w): tend does not follow or use it; remove it",
				d.Path, ErrForeign)
		}
		return Dir{}, foreign(d.Path, "daemon folder", st.Uid, fi.Mode())
	}
	return d, nil
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
