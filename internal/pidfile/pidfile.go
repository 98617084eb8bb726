// Package pidfile manages a locked pidfile: a file holding a decimal pid and a
// newline, the format that start-stop-daemon --pidfile and systemd's PIDFile=
// read, guarded by an flock(2) held for the whole life of the process that
// owns it.
//
// The lock, not the file's existence, says whether an owner is alive: a file
// left behind by a process killed with SIGKILL is unlocked (the kernel drops
// the lock with the last descriptor), so it never blocks a new start, and a
// reader never has to trust a pid that may since have been reused.
package pidfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ErrLocked is wrapped by the error Lock returns when another process holds
// the pidfile's lock.
var ErrLocked = errors.New("pidfile: locked by a running process")

// LockedError reports a pidfile held by another live process.
type LockedError struct {
	Path string
	PID  int // the pid written in the file; 0 when it could not be read
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("pidfile %s is locked by running pid %d; stop that process first", e.Path, e.PID)
	}
	return fmt.Sprintf("pidfile %s is locked by another process; stop that process first", e.Path)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// ErrNotRegular is wrapped by the errors of Lock, Read, Locked and Holder
// when the path names something other than a regular file (a FIFO, a
// socket, a device): none is ever a pidfile, and reading a FIFO would
// block.
var ErrNotRegular = errors.New("not a regular file")

// File is a locked pidfile. Its lock lasts as long as its descriptor is open
// in any process, which is how a launcher can take the lock and hand the
// descriptor to the daemon it starts.
type File struct {
	path string
	f    *os.File
}

// Lock opens (creating with perm if needed) and locks the pidfile at path
// without blocking. A symlink at path is not followed. If another process
// holds the lock, the error is a *LockedError naming the pid in the file.
// The file's content is left alone until Write.
func Lock(path string, perm os.FileMode) (*File, error) {
	for attempt := 0; attempt < 10; attempt++ {
		f, err := openNoFollow(path, perm)
		if err != nil {
			return nil, fmt.Errorf("pidfile %s: %w", path, err)
		}
		if err := regular(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("pidfile %s: %w", path, err)
		}
		if err := lockFile(f); err != nil {
			f.Close()
			if errors.Is(err, errWouldBlock) {
				pid, _ := Read(path)
				return nil, &LockedError{Path: path, PID: pid}
			}
			return nil, fmt.Errorf("pidfile %s: lock: %w", path, err)
		}
		// The previous owner may have removed the file between our open
		// and our lock; then we hold a lock on an unlinked inode and must
		// start again on the file that now stands at path.
		same, err := samePath(f, path)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("pidfile %s: %w", path, err)
		}
		if same {
			return &File{path: path, f: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("pidfile %s: replaced repeatedly while locking; is something deleting it?", path)
}

// FromFile wraps a descriptor that already holds the lock on the pidfile at
// path, for example one inherited from a launcher.
func FromFile(f *os.File, path string) *File { return &File{path: path, f: f} }

// Path returns the pidfile's path.
func (p *File) Path() string { return p.path }

// File returns the locked descriptor, to be passed to a child process that
// should keep the lock.
func (p *File) File() *os.File { return p.f }

// Write replaces the file's content with pid and a newline. It does not
// fsync: the pid names a live process, which a crash of the machine ends
// anyway, and the lock, not the content, says whether it runs; an fsync
// here cost milliseconds on every daemon start (see bench/).
func (p *File) Write(pid int) error {
	if err := p.f.Truncate(0); err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	if _, err := p.f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0); err != nil {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	return nil
}

// Remove deletes the pidfile and releases the lock. Removing before closing
// means no other process can lock the old file and believe it owns the path.
// When the directory does not allow the removal (a daemon that dropped its
// privileges), the file is emptied instead, which readers take as "no pid".
func (p *File) Remove() error {
	err := os.Remove(p.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		if terr := p.f.Truncate(0); terr == nil {
			err = nil
		}
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pidfile %s: remove: %w", p.path, err)
	}
	return nil
}

// Close releases the lock and leaves the file in place.
func (p *File) Close() error { return p.f.Close() }

// Read returns the pid written in the pidfile at path. It does not say
// whether that process still runs; use Locked for that.
func Read(path string) (int, error) {
	f, err := openRead(path)
	if err != nil {
		return 0, fmt.Errorf("pidfile %s: %w", path, err)
	}
	defer f.Close()
	return parse(f, path)
}

func parse(r io.Reader, path string) (int, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64))
	if err != nil {
		return 0, fmt.Errorf("pidfile %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, fmt.Errorf("pidfile %s: empty", path)
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pidfile %s: not a pid: %q", path, s)
	}
	return pid, nil
}

// Locked reports whether some process holds the lock on the pidfile at path,
// and the pid in the file. A missing file is not locked.
func Locked(path string) (bool, int, error) {
	f, err := openRead(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	defer f.Close()
	pid, _ := parse(f, path)
	held, err := probeLock(f)
	if err != nil {
		return false, pid, fmt.Errorf("pidfile %s: %w", path, err)
	}
	return held, pid, nil
}

// openRead opens the pidfile at path for reading without blocking (a
// FIFO put in its place) and checks that it is a regular file.
func openRead(path string) (*os.File, error) {
	f, err := openReadNoFollow(path)
	if err == nil {
		if err = regular(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	return f, nil
}

// regular checks that f is a regular file.
func regular(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (%s); remove it", ErrNotRegular, fi.Mode().Type())
	}
	return nil
}

// Holder reports whether some process holds the lock on the pidfile at
// path, and which: the pid written in the file if that process has the
// file open, else the first of others (pids the caller knows of, such as
// the supervisor a record names) that does. The pid is 0 when the lock is
// held and none of them has the file open: what the file says (garbage,
// the pid of an unrelated process) is never believed on its own. Where a
// process's open files cannot be seen (not Linux), the pid written in the
// file is taken. A missing file is not locked.
func Holder(path string, others ...int) (held bool, pid int, err error) {
	f, err := openRead(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	defer f.Close()
	written, _ := parse(f, path)
	if held, err = probeLock(f); err != nil || !held {
		return false, 0, err
	}
	for _, pid := range append([]int{written}, others...) {
		if pid > 0 && hasOpen(pid, f, written) {
			return true, pid, nil
		}
	}
	return true, 0, nil
}
