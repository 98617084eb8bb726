package logcap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

func TestTailFilters(t *testing.T) {
	path := logPath(t)
	t0 := time.Date(2026, 11, 23, 19, 45, 12, 0, time.UTC)
	l, err := Open(Options{Path: path, MaxSize: 1000, MaxFiles: -1, Now: fixedClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	// 100 lines alternating streams, 1 ms apart, across ~10 files.
	for i := range 100 {
		stream := Stdout
		if i%2 == 1 {
			stream = Stderr
		}
		if err := l.Capture(stream, strings.NewReader(string(appendLine(nil, i)))); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if n := len(rotatedFiles(t, path)); n < 8 {
		t.Fatalf("only %d rotated files", n)
	}
	numbers := func(lines []string) []int {
		var out []int
		for _, l := range lines {
			out = append(out, lineNumber(Parse(l).Text))
		}
		return out
	}
	at90 := Parse(allLines(t, path)[90]).Time
	cases := []struct {
		name string
		n    int
		f    Filter
		want []int
	}{
		{"last 3", 3, Filter{}, []int{97, 98, 99}},
		{"last 25 across files", 25, Filter{}, seq(75, 100, 1)},
		{"stderr", 4, Filter{Stream: Stderr}, []int{93, 95, 97, 99}},
		{"stdout all", 0, Filter{Stream: Stdout}, seq(0, 100, 2)},
		{"since", 0, Filter{Since: at90}, seq(90, 100, 1)},
		{"since stdout n", 2, Filter{Stream: Stdout, Since: at90}, []int{96, 98}},
		{"since stdout all", 0, Filter{Stream: Stdout, Since: at90}, seq(90, 100, 2)},
	}
	for _, c := range cases {
		lines, err := Tail(path, c.n, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := numbers(lines); !equalInts(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := Tail(path+".nope", 1, Filter{}); err == nil {
		t.Error("Tail of a missing log succeeded")
	}
}

func seq(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParse(t *testing.T) {
	ts := time.Date(2026, 11, 23, 19, 45, 12, 123456000, time.UTC)
	cases := []struct {
		line string
		want Record
	}{
		{"2026-11-23T19:45:12.123456Z stdout hi there\n", Record{Time: ts, Stream: Stdout, Text: "hi there"}},
		{"2026-11-23T19:45:12.123456Z stderr+ part", Record{Time: ts, Stream: Stderr, Continued: true, Text: "part"}},
		{"2026-11-23T19:45:12.123456Z+ part", Record{Time: ts, Continued: true, Text: "part"}},
		{"2026-11-23T19:45:12.123456Z text", Record{Time: ts, Text: "text"}},
		{"stdout x", Record{Stream: Stdout, Text: "x"}},
		{"logcap lost", Record{Stream: Marker, Text: "lost"}},
		{"stdoutx", Record{Text: "stdoutx"}},
		{"plain", Record{Text: "plain"}},
		{"2026-11-23T19:45:12.123456Z stdout.0 hi", Record{Time: ts, Stream: Stdout, HasInstance: true, Text: "hi"}},
		{"stderr.12+ part", Record{Stream: Stderr, Instance: 12, HasInstance: true, Continued: true, Text: "part"}},
		{"stdout.007 x", Record{Text: "stdout.007 x"}}, // not as InstanceStream writes it
		{"stdout. x", Record{Text: "stdout. x"}},
	}
	for _, c := range cases {
		if got := Parse(c.line); got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.line, got, c.want)
		}
	}
}

// followWhile runs Follow, waits for it to print initial lines, runs write,
// waits until the output holds want lines, and returns the output lines.
func followWhile(t *testing.T, path string, n, initial, want int, write func()) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testexec.Buffer
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, n, &out, Filter{}) }()
	testexec.WaitFor(t, 10*time.Second, "initial lines", func() bool { return strings.Count(out.String(), "\n") >= initial })
	write()
	testexec.WaitFor(t, 10*time.Second, "follow output", func() bool { return strings.Count(out.String(), "\n") >= want })
	defer func() {
		if t.Failed() {
			os.WriteFile("/tmp/follow-out.txt", []byte(out.String()), 0o644)
		}
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

func TestFollowAcrossRotations(t *testing.T) {
	for _, compress := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "compress"}[compress]
		t.Run(name, func(t *testing.T) {
			path := logPath(t)
			l, err := Open(Options{Path: path, MaxFiles: -1, Compress: compress})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			f := newFeeder(t, l)
			f.lines(t, 0, 10) // before Follow: the last 5 are asked for
			lines := followWhile(t, path, 5, 5, 5+4000, func() {
				for k := range 4 {
					from := 10 + k*1000
					f.lines(t, from, from+500)
					f.lines(t, from+500, from+1000)
					if k < 3 {
						if err := l.Rotate(); err != nil {
							t.Fatal(err)
						}
					}
				}
			})
			if st := l.Stats(); st.Rotations != 3 {
				t.Errorf("rotations %d", st.Rotations)
			}
			checkSequence(t, lines, 5, 4010)
		})
	}
}

// TestFollowFastRotations rotates by size far faster than Follow polls,
// with compression racing it.
func TestFollowFastRotations(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path, MaxSize: 20_000, MaxFiles: -1, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 20_000
	f := newFeeder(t, l)
	lines := followWhile(t, path, -1, 0, n, func() { f.lines(t, 0, n) })
	if st := l.Stats(); st.Rotations < 50 {
		t.Errorf("only %d rotations", st.Rotations)
	}
	checkSequence(t, lines, 0, n)
}

func TestFollowExternalRename(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f := newFeeder(t, l)
	f.lines(t, 0, 10)
	lines := followWhile(t, path, -1, 10, 300, func() {
		f.lines(t, 10, 100)
		os.Rename(path, path+".1")
		f.lines(t, 100, 200)
		if err := l.Reopen(); err != nil {
			t.Fatal(err)
		}
		f.lines(t, 200, 300)
	})
	checkSequence(t, lines, 0, 300)
}

// TestTailDuringRotations reads the whole log again and again while a
// writer fills it and it rotates every few hundred lines: each read is a
// run of consecutive lines, never one with a file's lines missing in the
// middle (the current file renamed between the listing and the read).
func TestTailDuringRotations(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path, MaxSize: 8_000, MaxFiles: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f := newFeeder(t, l)
	// The reads run beside the writes, in a goroutine of their own; the
	// first read that is not a run of consecutive lines is the failure.
	stop, failed := make(chan struct{}), make(chan string, 1)
	reads := 0
	go func() {
		defer close(failed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			lines, err := Tail(path, 0, Filter{})
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				failed <- err.Error()
				return
			}
			reads++
			if n := len(lines); n > 0 && lineNumber(Parse(lines[n-1]).Text) < 0 {
				lines = lines[:n-1] // the last record, caught while being written
			}
			for i := 1; i < len(lines); i++ {
				prev, got := lineNumber(Parse(lines[i-1]).Text), lineNumber(Parse(lines[i]).Text)
				if got != prev+1 {
					failed <- fmt.Sprintf("read %d: line %d after line %d (%d lines read)", reads, got, prev, len(lines))
					return
				}
			}
		}
	}()
	f.lines(t, 0, 60_000)
	close(stop)
	if msg, ok := <-failed; ok {
		t.Fatal(msg)
	}
	if st := l.Stats(); st.Rotations < 20 || reads < 20 {
		t.Errorf("%d rotations, %d reads: the test did not test reads during rotations", st.Rotations, reads)
	}
}
