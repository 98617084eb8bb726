package logcap

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// writeLines captures lines from..to-1 (appendLine) as stdout, one Capture
// call per line so each becomes its own batch, and waits until they are
// written (Capture returns once the writer has them, not once written).
func writeLines(t *testing.T, l *Log, from, to int) {
	t.Helper()
	want := l.Stats().Lines + int64(to-from)
	defer testexec.WaitFor(t, 5*time.Second, "lines written", func() bool { return l.Stats().Lines >= want })
	for i := from; i < to; i++ {
		if err := l.Capture(Stdout, strings.NewReader(string(appendLine(nil, i)))); err != nil {
			t.Fatal(err)
		}
	}
}

func checkSequence(t *testing.T, lines []string, from, to int) {
	t.Helper()
	if len(lines) != to-from {
		t.Fatalf("got %d lines, want %d (%d..%d)", len(lines), to-from, from, to-1)
	}
	for i, line := range lines {
		if got := lineNumber(Parse(line).Text); got != from+i {
			t.Fatalf("line %d = %q, want number %d", i, line, from+i)
		}
	}
}

func rotatedFiles(t *testing.T, path string) []rotEntry {
	t.Helper()
	ents, err := listRotated(path)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

func TestRotationKeepsMaxFiles(t *testing.T) {
	path := logPath(t)
	// 64-byte lines + 35 bytes of prefix = 99 bytes: 10 records per file.
	var events []Event
	var mu sync.Mutex
	l, err := Open(Options{Path: path, MaxSize: 1000, MaxFiles: 3, OnEvent: func(e Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 0, 95)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// 95 records: 9 full files rotated, the 10th current with 5 records.
	testexec.WaitFor(t, 5*time.Second, "pruning to 3 rotated files", func() bool { return len(rotatedFiles(t, path)) == 3 })
	for _, e := range rotatedFiles(t, path) {
		st, _ := os.Stat(e.stem)
		if st.Size() > 1000 {
			t.Errorf("%s has %d bytes > MaxSize", e.stem, st.Size())
		}
	}
	checkSequence(t, allLines(t, path), 60, 95)
	if st := l.Stats(); st.Rotations != 9 {
		t.Errorf("rotations %d, want 9", st.Rotations)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 9 || events[0].Kind != EventRotated {
		t.Errorf("events %v", events)
	}
}

func TestCompressAndTail(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path, MaxSize: 1000, MaxFiles: 4, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 0, 60)
	testexec.WaitFor(t, 5*time.Second, "lines written", func() bool { return l.Stats().Lines == 60 })
	testexec.WaitFor(t, 5*time.Second, "compression of all but the newest rotated file", func() bool {
		ents := rotatedFiles(t, path)
		if len(ents) != 4 {
			return false
		}
		for i, e := range ents {
			if (i < 3) != (e.gz && !e.plain) {
				return false
			}
		}
		return true
	})
	checkSequence(t, allLines(t, path), 10, 60)
	lines, err := Tail(path, 25, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, lines, 35, 60)

	// A .gz is a valid gzip stream of whole records.
	gz := rotatedFiles(t, path)[0].stem + ".gz"
	f, _ := os.Open(gz)
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	f.Close()
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		t.Fatalf("gzip read: %v", err)
	}
	if st, _ := os.Stat(gz); st.Mode().Perm()&0o007 != 0 {
		t.Errorf(".gz mode %v", st.Mode())
	}
	l.Close()
	for _, n := range dirNames(t, filepath.Dir(path)) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("left %s", n)
		}
	}
}

func TestRotateOnRequest(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Rotate(); err != nil || len(rotatedFiles(t, path)) != 0 {
		t.Fatalf("rotating an empty file: %v", err)
	}
	writeLines(t, l, 0, 3)
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 3, 5)
	ents := rotatedFiles(t, path)
	if len(ents) != 1 {
		t.Fatalf("rotated files %v", ents)
	}
	lines, _, _ := tailFile(ents[0].stem, 0, Filter{})
	checkSequence(t, lines, 0, 3)
	checkSequence(t, allLines(t, path), 0, 5)
}

func TestReopenAfterRename(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 0, 10)
	if err := os.Rename(path, path+".1"); err != nil { // as logrotate does
		t.Fatal(err)
	}
	writeLines(t, l, 10, 20) // still to the renamed file, until Reopen
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 20, 30)
	l.Close()
	old, _, _ := tailFile(path+".1", 0, Filter{})
	checkSequence(t, old, 0, 20)
	cur, _, _ := tailFile(path, 0, Filter{})
	checkSequence(t, cur, 20, 30)
}

func TestRemovedFileIsRecreated(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 0, 5)
	os.Remove(path)
	writeLines(t, l, 5, 10)
	l.Close()
	cur, _, _ := tailFile(path, 0, Filter{})
	checkSequence(t, cur, 5, 10)
}

func TestEventLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	lg, c, err := NewEventLogger(path)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("z", 1000)
	for i := range 5000 { // ~5 MB: several rotations
		lg.Info("exited", "n", i, "pad", big)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(rotatedFiles(t, path)); n != EventMaxFiles {
		t.Errorf("%d rotated event files, want %d", n, EventMaxFiles)
	}
	lines, err := Tail(path, 1, Filter{})
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], `"msg":"exited","n":4999`) {
		t.Errorf("last event %q %v", lines, err)
	}
}
