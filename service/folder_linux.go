package service

import (
	"os"

	"golang.org/x/sys/unix"
)

// folderWatch is an inotify watch on the daemon's folder.
type folderWatch struct{ f *os.File }

// watchFolder watches the folder for its own removal or renaming, and for
// the removal or renaming of an entry in it. It fails when the folder is
// not there.
func watchFolder(path string) (*folderWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	const mask = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW
	if _, err := unix.InotifyAddWatch(fd, path, mask); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &folderWatch{f: os.NewFile(uintptr(fd), "inotify")}, nil
}

// wait blocks until an event arrives (true) or quit is closed (false). The
// read parks in Go's poller: no wake-ups while nothing happens.
func (w *folderWatch) wait(quit <-chan struct{}) bool {
	got := make(chan bool, 1)
	go func() {
		buf := make([]byte, 4096)
		_, err := w.f.Read(buf)
		got <- err == nil
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

func (w *folderWatch) close() { w.f.Close() }
