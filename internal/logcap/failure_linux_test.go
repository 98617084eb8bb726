package logcap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

// eventLog records events for checks.
type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (e *eventLog) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }

func (e *eventLog) kinds() []EventKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	var k []EventKind
	for _, ev := range e.ev {
		k = append(k, ev.Kind)
	}
	return k
}

// pump writes lines from..to-1 into w from a goroutine (one write(2) each,
// far more than the pipe holds) and returns a channel closed when done.
func pump(t *testing.T, w *os.File, from, to int) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b []byte
		for i := from; i < to; i++ {
			b = appendLine(b[:0], i)
			if _, err := w.Write(b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	return done
}

func waitClosed(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out: %s", what)
	}
}

// checkAfterFailure checks that path holds whole records only, in
// increasing order, that the markers account for lost lines, and returns
// how many lines are present and how many markers say were lost.
func checkAfterFailure(t *testing.T, path string) (present, lost int) {
	t.Helper()
	last := -1
	for _, line := range allLines(t, path) {
		r := Parse(line)
		if r.Stream == Marker {
			var n, b int
			if _, err := fmt.Sscanf(r.Text, "lost %d lines (%d bytes)", &n, &b); err != nil {
				t.Fatalf("bad marker %q", line)
			}
			lost += n
			continue
		}
		got := lineNumber(r.Text)
		if got < 0 || got <= last {
			t.Fatalf("torn or out of order after %d: %q", last, line)
		}
		last = got
		present++
	}
	return present, lost
}

// TestWriteFailureFSIZE makes writes fail with EFBIG through RLIMIT_FSIZE.
// The limit is per process, so it is set on the test process for the
// duration of this test (the package's tests do not run in parallel); Go
// ignores SIGXFSZ, so the write returns EFBIG instead of killing us.
func TestWriteFailureFSIZE(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	setLimit := func(cur uint64) {
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: cur, Max: old.Max}); err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Setrlimit(unix.RLIMIT_FSIZE, &old)

	path := logPath(t)
	var ev eventLog
	l, err := Open(Options{Path: path, MaxSize: -1, MaxFiles: -1, MaxHeld: 32 << 10, Retry: 10 * time.Millisecond, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	capDone := make(chan error, 1)
	go func() { capDone <- l.Capture(Stdout, r) }()

	// Phase 1: the file hits the limit; the pipe keeps being drained.
	setLimit(100 << 10)
	const n1 = 20_000 // ~2 MB, many times the pipe buffer
	waitClosed(t, pump(t, w, 0, n1), "capture stopped draining the pipe")
	testexec.WaitFor(t, 5*time.Second, "all lines accounted", func() bool {
		st := l.Stats()
		return st.Lines+st.LostLines+st.HeldBytes/99 == n1
	})
	st := l.Stats()
	if !st.Degraded() || !errors.Is(st.Err, syscall.EFBIG) || st.LostLines == 0 || st.Since.IsZero() {
		t.Fatalf("stats while failing: %+v", st)
	}
	if fi, _ := os.Stat(path); fi.Size() > 100<<10 || fi.Size()%99 != 0 {
		t.Errorf("file size %d: not whole records under the limit", fi.Size())
	}
	t.Logf("degraded: %+v", st)

	// Rotate into a fresh file: held lines and the marker go there.
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Degraded() || st.HeldBytes != 0 {
		t.Fatalf("still degraded after rotate: %+v", st)
	}

	// Phase 2: fail again, then raise the limit; the retry timer recovers.
	const n2 = 40_000
	waitClosed(t, pump(t, w, n1, n2), "capture stopped draining the pipe")
	testexec.WaitFor(t, 5*time.Second, "degraded again", func() bool { return l.Stats().Degraded() })
	setLimit(old.Cur)
	testexec.WaitFor(t, 10*time.Second, "recovery by the retry timer", func() bool { return !l.Stats().Degraded() })
	waitClosed(t, pump(t, w, n2, n2+10), "writing after recovery")
	w.Close()
	if err := <-capDone; err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st = l.Stats()
	present, lost := checkAfterFailure(t, path)
	if present+lost != n2+10 || int64(lost) != st.LostLines || int64(present) != st.Lines-2 {
		t.Errorf("present %d + lost %d != %d; stats %+v", present, lost, n2+10, st)
	}
	lines := allLines(t, path)
	if lineNumber(Parse(lines[len(lines)-1]).Text) != n2+9 {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	k := ev.kinds()
	want := []EventKind{EventWriteFailed, EventRotated, EventRecovered, EventWriteFailed, EventRecovered}
	if fmt.Sprint(k) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", k, want)
	}
}

// TestWriteFailureENOSPC fills a 1 MiB tmpfs for a real ENOSPC. It needs
// permission to mount and is skipped without it.
func TestWriteFailureENOSPC(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 900<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "output.log")
	l, err := Open(Options{Path: path, MaxSize: -1, MaxHeld: 64 << 10, Retry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	capDone := make(chan error, 1)
	go func() { capDone <- l.Capture(Stdout, r) }()
	const n = 10_000 // ~1 MB: more than is left
	waitClosed(t, pump(t, w, 0, n), "capture stopped draining the pipe")
	testexec.WaitFor(t, 5*time.Second, "degraded", func() bool { return l.Stats().Degraded() })
	if st := l.Stats(); !errors.Is(st.Err, syscall.ENOSPC) {
		t.Fatalf("stats %+v", st)
	}
	os.Remove(filler)
	testexec.WaitFor(t, 10*time.Second, "recovery", func() bool { return !l.Stats().Degraded() })
	w.Close()
	<-capDone
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	present, lost := checkAfterFailure(t, path)
	if present+lost != n || lost == 0 {
		t.Errorf("present %d, lost %d, want sum %d", present, lost, n)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "no space left on device") {
		t.Error("marker does not name the cause")
	}
}
