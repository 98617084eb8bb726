package logcap

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesFIFO: a FIFO (or another special file) at the log path
// is refused at once; opening it for writing would block until a reader
// came.
func TestOpenRefusesFIFO(t *testing.T) {
	path := logPath(t)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		l, err := Open(Options{Path: path})
		if err == nil {
			l.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "logcap: open "+path+": not a regular file: give the path of a log file") {
			t.Errorf("Open(FIFO) = %v", err)
		}
	case <-time.After(10 * time.Second):
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer f.Close()
		}
		t.Fatal("Open(FIFO) blocked")
	}
	if _, err := Open(Options{Path: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Open(directory) = %v", err)
	}
}
