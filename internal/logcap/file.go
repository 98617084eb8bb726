package logcap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// openFlags: append only, create, never truncate, never follow a symlink,
// never become a controlling terminal, not inherited by children, and
// never block in open(2): a FIFO at the path would block an open for
// writing until some reader came (with O_NONBLOCK the open fails with
// ENXIO instead, or succeeds and the FIFO is refused as not a regular
// file). O_NONBLOCK is cleared again once the file is known to be regular.
const openFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE |
	syscall.O_NOFOLLOW | syscall.O_NOCTTY | syscall.O_CLOEXEC | syscall.O_NONBLOCK

// errNotRegular is returned when the log path names something other than a
// regular file (a FIFO or device would block or misbehave).
var errNotRegular = errors.New("not a regular file")

// rfile is a size-rotated file. It is not safe for concurrent use; Log uses
// it from its writer goroutine and the event logger behind a mutex.
//
// Rotation must leave a usable log wherever the process is killed, since
// a supervisor can be killed at any moment (kill -9, the OOM killer):
//
//   - the path always names a log file: the new file is made under a
//     temporary name and renamed over the path, after the current file got
//     its rotated name as a second hard link, so there is no moment
//     without the path (on a file system without hard links, a rename
//     then leaves one);
//   - there are never more than maxFiles rotated files: the oldest are
//     deleted before a new rotated name is made, not after;
//   - what a kill leaves half done (the temporary file, a rotated name
//     that is still the current file, a .gz beside its plain file) is
//     finished or undone by repair before the next open.
type rfile struct {
	path     string
	perm     os.FileMode
	maxFiles int
	compress bool
	now      func() time.Time
	onEvent  func(Event)

	f    *os.File // nil when the last open failed
	size int64    // bytes in f

	jan *janitor

	// step is called at each named step of a rotation and of a
	// compression: a test hook (Options.crashAt) that can kill the
	// process there; it does nothing otherwise.
	step func(point string)
}

// newRFile prepares the rotated file at path: it repairs what an earlier
// process left half done and starts the janitor. crashAt may be nil.
func newRFile(path string, perm os.FileMode, maxFiles int, compress bool, now func() time.Time, onEvent func(Event), crashAt func(string)) *rfile {
	if crashAt == nil {
		crashAt = func(string) {}
	}
	r := &rfile{path: path, perm: perm, maxFiles: maxFiles, compress: compress, now: now, onEvent: onEvent, step: crashAt}
	r.jan = newJanitor(path, compress, now, onEvent)
	r.jan.step = crashAt
	r.repair()
	r.jan.start()
	return r
}

// open opens the path for appending and learns its size.
func (r *rfile) open() error {
	f, err := openAppend(r.path, openFlags, r.perm)
	if err != nil {
		return fmt.Errorf("logcap: open %s: %w", r.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("logcap: open %s: %w", r.path, err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// openAppend opens name with flags (openFlags and more), refuses anything
// but a regular file, and returns it in blocking mode. Errors do not name
// the file: the caller does.
func openAppend(name string, flags int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flags, perm)
	if errors.Is(err, syscall.ENXIO) { // a FIFO without a reader, or a socket
		err = errNotRegular
	}
	if err != nil {
		return nil, wrapNotRegular(err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errNotRegular
	}
	if err == nil {
		err = setBlocking(f)
	}
	if err != nil {
		f.Close()
		return nil, wrapNotRegular(err)
	}
	return f, nil
}

// wrapNotRegular says what to do about errNotRegular.
func wrapNotRegular(err error) error {
	if errors.Is(err, errNotRegular) {
		return fmt.Errorf("%w: give the path of a log file, or remove what is there", err)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// setBlocking clears O_NONBLOCK on a regular file.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}

// closeFile closes the current file, if any.
func (r *rfile) closeFile() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// reopen closes the current file and opens the path anew (after an external
// rename). Everything written so far went to the old file.
func (r *rfile) reopen() error {
	r.closeFile()
	return r.open()
}

// stop closes the file and waits for the janitor to finish.
func (r *rfile) stop() error {
	err := r.closeFile()
	r.jan.stop()
	return err
}

// lockedFile is an rfile for many writers, each Write one record.
type lockedFile struct {
	mu      sync.Mutex
	r       *rfile
	maxSize int64
}

func (l *lockedFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r.f == nil {
		if err := l.r.open(); err != nil {
			return 0, err
		}
	}
	if l.r.size > 0 && l.r.size+int64(len(p)) > l.maxSize {
		l.r.rotate() // on failure keep writing to the old file
		if l.r.f == nil {
			return 0, fmt.Errorf("logcap: %s: not open", l.r.path)
		}
	}
	n, err := l.r.f.Write(p)
	l.r.size += int64(n)
	return n, err
}

func (l *lockedFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.stop()
}

// openNoFollow refuses symlinks when the janitor opens rotated files.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NOCTTY | syscall.O_CLOEXEC
