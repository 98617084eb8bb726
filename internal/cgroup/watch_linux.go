package cgroup

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

func (g *Group) watch() (*Watch, error) {
	// A non-blocking descriptor given to os.NewFile joins the runtime's
	// poller (epoll): Read parks the goroutine instead of a thread, and
	// Close wakes it.
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	events := filepath.Join(g.path, "cgroup.events")
	if _, err := unix.InotifyAddWatch(fd, events, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "inotify_add_watch", Path: events, Err: err}
	}
	c := make(chan struct{}, 1)
	f, done := os.NewFile(uintptr(fd), "inotify:"+events), make(chan struct{})
	go run(f, c, done)
	return &Watch{C: c, stop: func() error { err := f.Close(); <-done; return err }}, nil
}

// run forwards inotify events to c until the watch is closed.
func run(f *os.File, c chan<- struct{}, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 64*unix.SizeofInotifyEvent)
	for {
		_, err := f.Read(buf)
		if errors.Is(err, os.ErrClosed) {
			return
		}
		select {
		case c <- struct{}{}:
		default:
		}
		if err != nil {
			return // the receiver wakes, and finds the group's state itself
		}
	}
}
