//go:build !linux

package supervisor

import (
	"os"
	"time"
)

// folderWatch checks the folder once a second where there is no inotify.
type folderWatch struct{}

func watchNames(path string, names ...string) (*folderWatch, error) {
	if _, err := os.Lstat(path); err != nil {
		return nil, err
	}
	return &folderWatch{}, nil
}

func (w *folderWatch) wait(quit <-chan struct{}) bool {
	select {
	case <-quit:
		return false
	case <-time.After(time.Second):
		return true
	}
}

func (w *folderWatch) close() {}
