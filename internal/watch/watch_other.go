//go:build !linux

package watch

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// sysWatcher looks once a second where there is no inotify.
type sysWatcher struct{}

func (sysWatcher) close() {}

// New returns a Watcher, whose watches look every second.
func New() (*Watcher, error) {
	w := &Watcher{byID: map[int32][]*Watch{}, close: make(chan struct{})}
	go w.tick()
	return w, nil
}

// Add watches the folder at path: here every watch is signalled once a
// second, and its owner looks. It fails when the folder is not there.
func (w *Watcher) Add(path string, names []string, f func()) (*Watch, error) {
	if _, err := os.Lstat(path); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	x := &Watch{w: w, path: path, names: names, f: f}
	w.byID[0] = append(w.byID[0], x)
	return x, nil
}

// Changes watches the file at path: here once a second.
func (w *Watcher) Changes(path string, f func()) (*Watch, error) {
	return w.Add(path, nil, f)
}

// Files is not offered without inotify: --watch does not poll.
func (w *Watcher) Files(path string, f func(name string, dir bool)) (*Watch, error) {
	return nil, fmt.Errorf("watch %s: %w: file changes are watched with Linux's inotify only (tend does not poll)", path, errors.ErrUnsupported)
}

func (w *Watcher) remove(x *Watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i := slices.Index(w.byID[0], x); i >= 0 {
		w.byID[0] = slices.Delete(w.byID[0], i, i+1)
	}
}

func (w *Watcher) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.close:
			return
		case <-t.C:
			w.mu.Lock()
			for _, x := range w.byID[0] {
				x.notify()
			}
			w.mu.Unlock()
		}
	}
}
