package watch

import (
	"bytes"
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysWatcher is the inotify instance; fd is its descriptor (os.File's Fd
// would put it in blocking mode, out of the poller's hands).
type sysWatcher struct {
	f  *os.File
	fd int
}

func (s sysWatcher) close() { s.f.Close() }

// New returns a Watcher.
func New() (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &Watcher{byID: map[int32][]*Watch{}, sys: sysWatcher{os.NewFile(uintptr(fd), "inotify"), fd}, close: make(chan struct{})}
	go w.read()
	return w, nil
}

// watchMask: the folder's own removal or renaming, and the removal or
// renaming of a file in it.
const watchMask = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// Add watches the folder at path for its own removal or renaming, and for
// the removal or renaming of the files named in it (a daemon's lock,
// which rm -rf removes before the folder; a socket): each sends a value
// (f is called). It fails when the folder is not there. A folder that is removed
// ends its watches (after their signal): Add again once it is back.
func (w *Watcher) Add(path string, names []string, f func()) (*Watch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// IN_MASK_ADD: a second watch of the same folder shares the
	// descriptor without narrowing the first's mask.
	id, err := unix.InotifyAddWatch(w.sys.fd, path, watchMask|unix.IN_MASK_ADD)
	if err != nil {
		return nil, err
	}
	x := &Watch{w: w, path: path, names: names, f: f, id: int32(id)}
	w.byID[x.id] = append(w.byID[x.id], x)
	return x, nil
}

// Changes watches the file at path for changes (a cgroup's
// cgroup.events, which the kernel rewrites when the group empties): each
// calls f.
func (w *Watcher) Changes(path string, f func()) (*Watch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id, err := unix.InotifyAddWatch(w.sys.fd, path, unix.IN_MODIFY|unix.IN_MASK_ADD)
	if err != nil {
		return nil, &os.PathError{Op: "inotify_add_watch", Path: path, Err: err}
	}
	x := &Watch{w: w, path: path, any: true, f: f, id: int32(id)}
	w.byID[x.id] = append(w.byID[x.id], x)
	return x, nil
}

// filesMask: a file written and closed, created, removed or renamed in
// or out of the folder (a change of contents that is not closed yet, a
// log being appended to, is not one), and the folder's own removal.
const filesMask = unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// Files watches the folder at path for changes to the files in it (not
// those of its subfolders: watch each): f is called, on the Watcher's
// goroutine, with the name of each file written, created, removed or
// renamed, dir set for a folder; with "" when the folder itself is gone
// or events were lost. f must not block, nor call the Watcher.
func (w *Watcher) Files(path string, f func(name string, dir bool)) (*Watch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id, err := unix.InotifyAddWatch(w.sys.fd, path, filesMask|unix.IN_MASK_ADD)
	if err != nil {
		return nil, &os.PathError{Op: "inotify_add_watch", Path: path, Err: err}
	}
	x := &Watch{w: w, path: path, files: f, id: int32(id)}
	w.byID[x.id] = append(w.byID[x.id], x)
	return x, nil
}

func (w *Watcher) remove(x *Watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.byID[x.id]
	i := slices.Index(list, x)
	if i < 0 {
		return
	}
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		delete(w.byID, x.id)
		unix.InotifyRmWatch(w.sys.fd, uint32(x.id))
		return
	}
	w.byID[x.id] = list
}

// read hands each event to the watches it matters to. The read parks in
// Go's poller.
func (w *Watcher) read() {
	buf := make([]byte, 4096)
	for {
		n, err := w.sys.f.Read(buf)
		if err != nil {
			// Closed; or the queue overflowed (none of its events is
			// known): every watch looks again.
			w.mu.Lock()
			for _, list := range w.byID {
				for _, x := range list {
					x.notify()
				}
			}
			w.mu.Unlock()
			select {
			case <-w.close:
				return
			default:
				continue
			}
		}
		w.dispatch(buf[:n])
	}
}

func (w *Watcher) dispatch(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
		b = b[end:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			for _, list := range w.byID {
				for _, x := range list {
					x.notify()
				}
			}
			continue
		}
		list := w.byID[ev.Wd]
		self := ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0
		for _, x := range list {
			switch {
			case x.files != nil && !self && name != "":
				if ev.Mask&(unix.IN_CLOSE_WRITE|unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO) != 0 {
					x.files(name, ev.Mask&unix.IN_ISDIR != 0)
				}
			case x.any || self || slices.Contains(x.names, name):
				x.notify()
			}
		}
		if ev.Mask&unix.IN_IGNORED != 0 {
			delete(w.byID, ev.Wd) // the folder is gone: its watches end
		}
	}
}
