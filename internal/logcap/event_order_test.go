package logcap

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// TestWriteFailedSeenInStats checks that a handler told of a write failure
// already finds it in Stats: the supervisor writes its status record from
// that handler, and once showed a healthy log for a full disk.
func TestWriteFailedSeenInStats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var lp atomic.Pointer[Log]
	seen := make(chan error, 1)
	l, err := Open(Options{Path: filepath.Join(dir, "output.log"), OnEvent: func(ev Event) {
		if ev.Kind == EventWriteFailed {
			select {
			case seen <- lp.Load().Stats().Err:
			default:
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	lp.Store(l)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); l.Capture(Stdout, r) }()
	defer func() { w.Close(); <-done; l.Close() }()
	w.Write([]byte("before\n"))
	testexec.WaitFor(t, 10*time.Second, "the first line", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "output.log"))
		return len(b) > 0
	})
	if err := os.RemoveAll(dir); err != nil { // the file cannot be opened again
		t.Fatal(err)
	}
	w.Write([]byte("after\n"))
	select {
	case err := <-seen:
		if err == nil {
			t.Error("OnEvent(EventWriteFailed) ran while Stats().Err was still nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no EventWriteFailed")
	}
}
