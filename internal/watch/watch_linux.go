// Package watch tells when a folder, or files in it, are removed: tend
// puts back what makes a daemon (or its host) reachable when a cleaner or
// a user removes it. On Linux it waits on inotify, so that nothing wakes
// while nothing happens; elsewhere it looks once a second.
package watch

import (
	"bytes"
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Folder is an inotify watch on a folder.
type Folder struct {
	f     *os.File
	names []string // the names in the folder whose removal matters
}

// Names watches the folder at path for its own removal or renaming, and
// for the removal or renaming of the files named in it (a daemon's lock,
// which rm -rf removes before the folder; a socket). It fails when the
// folder is not there.
func Names(path string, names ...string) (*Folder, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	const mask = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW
	if _, err := unix.InotifyAddWatch(fd, path, mask); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Folder{f: os.NewFile(uintptr(fd), "inotify"), names: names}, nil
}

// Wait blocks until an event arrives (true) or quit is closed (false).
// The read parks in Go's poller: no wake-ups while nothing happens.
func (w *Folder) Wait(quit <-chan struct{}) bool {
	got := make(chan bool, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := w.f.Read(buf)
			if err != nil {
				got <- false
				return
			}
			if relevant(buf[:n], w.names) {
				got <- true
				return
			}
			// A status record renamed into place, say: not our business.
		}
	}()
	select {
	case ok := <-got:
		return ok
	case <-quit:
		w.f.Close() // unblocks the read
		<-got
		return false
	}
}

// Close ends the watch.
func (w *Folder) Close() { w.f.Close() }

// relevant reports whether a batch of inotify events includes the folder's
// own removal or renaming, or that of one of names.
func relevant(b []byte, names []string) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return true // cut short: look anyway
		}
		if ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED|unix.IN_Q_OVERFLOW) != 0 {
			return true
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
		if slices.Contains(names, name) {
			return true
		}
		b = b[end:]
	}
	return false
}
