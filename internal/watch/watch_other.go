//go:build !linux

package watch

import (
	"os"
	"time"
)

// Folder checks the folder once a second where there is no inotify.
type Folder struct{}

// Names watches the folder at path (see the Linux version).
func Names(path string, names ...string) (*Folder, error) {
	if _, err := os.Lstat(path); err != nil {
		return nil, err
	}
	return &Folder{}, nil
}

// Wait waits a second (true), or until quit is closed (false).
func (w *Folder) Wait(quit <-chan struct{}) bool {
	select {
	case <-quit:
		return false
	case <-time.After(time.Second):
		return true
	}
}

// Close ends the watch.
func (w *Folder) Close() {}
