package logcap

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// openFlags: append only, create, never truncate, never follow a symlink,
// never become a controlling terminal, not inherited by children.
const openFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE |
	syscall.O_NOFOLLOW | syscall.O_NOCTTY | syscall.O_CLOEXEC

// errNotRegular is returned when the log path names something other than a
// regular file (a FIFO or device would block or misbehave).
var errNotRegular = errors.New("not a regular file")

// rfile is a size-rotated file. It is not safe for concurrent use; Log uses
// it from its writer goroutine and the event logger behind a mutex.
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
}

func newRFile(path string, perm os.FileMode, maxFiles int, compress bool, now func() time.Time, onEvent func(Event)) *rfile {
	r := &rfile{path: path, perm: perm, maxFiles: maxFiles, compress: compress, now: now, onEvent: onEvent}
	r.jan = startJanitor(path, maxFiles, compress, now, onEvent)
	return r
}

// open opens the path for appending and learns its size.
func (r *rfile) open() error {
	f, err := os.OpenFile(r.path, openFlags, r.perm)
	if err != nil {
		return fmt.Errorf("logcap: open %s: %w", r.path, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("logcap: open %s: %w", r.path, err)
	}
	r.f, r.size = f, st.Size()
	return nil
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

// rotate renames the current file to a new rotated name and opens a fresh
// file at the path. It returns the rotated name ("" if nothing was renamed).
// The rename is skipped when the path no longer names our file (it was moved
// away by someone else): then rotate is a reopen.
func (r *rfile) rotate() (string, error) {
	if r.f == nil {
		return "", r.open()
	}
	renamed := ""
	cur, err1 := r.f.Stat()
	at, err2 := os.Lstat(r.path)
	if err1 == nil && err2 == nil && os.SameFile(cur, at) {
		name, err := r.nextName()
		if err == nil {
			err = os.Rename(r.path, name)
		}
		if err != nil {
			return "", fmt.Errorf("logcap: rotate %s: %w", r.path, err)
		}
		renamed = name
	}
	r.closeFile()
	err := r.open()
	if renamed != "" {
		r.jan.kick()
	}
	return renamed, err
}

// nextName picks a rotated name later than every existing one, so names
// stay in rotation order even if the clock steps back.
func (r *rfile) nextName() (string, error) {
	t := r.now().UTC().Truncate(time.Microsecond)
	ents, err := listRotated(r.path)
	if err != nil {
		return "", err
	}
	if n := len(ents); n > 0 && !t.After(ents[n-1].t) {
		t = ents[n-1].t.Add(time.Microsecond)
	}
	return rotatedName(r.path, t), nil
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
