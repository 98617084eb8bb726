package logcap

import (
	"os"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// feeder is a pipe captured as stdout by a running Capture.
type feeder struct {
	l    *Log
	w    *os.File
	done chan error
	sent int64 // lines written into the pipe
}

func newFeeder(t *testing.T, l *Log) *feeder {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f := &feeder{l: l, w: w, done: make(chan error, 1)}
	go func() { f.done <- l.Capture(Stdout, r); r.Close() }()
	t.Cleanup(func() { f.close(t) })
	return f
}

// lines writes lines from..to-1, one write(2) each, and waits until the
// writer has written them all.
func (f *feeder) lines(t *testing.T, from, to int) {
	t.Helper()
	base := f.l.Stats().Lines
	var b []byte
	for i := from; i < to; i++ {
		b = appendLine(b[:0], i)
		if _, err := f.w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	want := base + int64(to-from)
	testexec.WaitFor(t, 10*time.Second, "lines written", func() bool { return f.l.Stats().Lines >= want })
}

func (f *feeder) close(t *testing.T) {
	if f.w == nil {
		return
	}
	f.w.Close()
	f.w = nil
	if err := <-f.done; err != nil && err != ErrClosed {
		t.Error(err)
	}
}
