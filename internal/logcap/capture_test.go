package logcap

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNoLossChild runs a child that writes numbered lines as fast as it can
// into pipes captured with a small MaxSize while another goroutine keeps
// forcing rotations; every line must appear exactly once, whole, in order
// per stream. It writes 1,000,000 lines (200,000 under -race or -short).
func TestNoLossChild(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 200_000
	}
	for _, mode := range []string{"stdout", "both"} {
		t.Run(mode, func(t *testing.T) { testNoLoss(t, n, mode) })
	}
}

func testNoLoss(t *testing.T, n int, mode string) {
	path := logPath(t)
	l, err := Open(Options{Path: path, MaxSize: 4 << 20, MaxFiles: -1})
	if err != nil {
		t.Fatal(err)
	}
	cmd := helperCmd(t, "lines", strconv.Itoa(n), mode)
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	errW.Close()
	var wg sync.WaitGroup
	for _, c := range []struct {
		name string
		r    *os.File
	}{{Stdout, outR}, {Stderr, errR}} {
		wg.Go(func() {
			if err := l.Capture(c.name, c.r); err != nil {
				t.Error(err)
			}
		})
	}
	stop := make(chan struct{})
	rotated := make(chan int)
	go func() { // forced rotations during the burst
		k := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				rotated <- k
				return
			case <-tick.C:
				if err := l.Rotate(); err != nil {
					t.Error(err)
				}
				k++
			}
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(stop)
	forced := <-rotated
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	st := l.Stats()
	t.Logf("%d lines in %v; %d rotations (%d forced)", n, elapsed, st.Rotations, forced)

	next := map[string]int{Stdout: 0, Stderr: 1}
	step := 1
	if mode == "both" {
		next[Stdout], step = 0, 2
	}
	lines := allLines(t, path)
	if len(lines) != n {
		t.Errorf("got %d lines, want %d", len(lines), n)
	}
	for i, line := range lines {
		r := Parse(line)
		got := lineNumber(r.Text)
		if r.Time.IsZero() || got < 0 || r.Continued {
			t.Fatalf("line %d torn or malformed: %q", i, line)
		}
		if got != next[r.Stream] {
			t.Fatalf("line %d: %s %d, want %d", i, r.Stream, got, next[r.Stream])
		}
		next[r.Stream] += step
	}
	if st.Lines != int64(n) || st.LostLines != 0 || st.Err != nil {
		t.Errorf("stats %+v", st)
	}
	if st.Rotations < 3 {
		t.Errorf("only %d rotations", st.Rotations)
	}
}

// captureString captures s as one stream and returns the file's lines.
func captureString(t *testing.T, opts Options, s string) ([]string, Stats) {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Capture(Stdout, strings.NewReader(s)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return allLines(t, opts.Path), l.Stats()
}

func TestLongLinesAndFinalLine(t *testing.T) {
	long := strings.Repeat("x", 250)
	in := "short\n" + long + "\n" + strings.Repeat("y", 100) + "\nlast"
	clock := fixedClock(time.Date(2026, 11, 23, 19, 45, 12, 123456789, time.UTC))

	t.Run("prefixed", func(t *testing.T) {
		lines, st := captureString(t, Options{Path: logPath(t), MaxLine: 100, Now: clock}, in)
		var recs []Record
		for _, l := range lines {
			recs = append(recs, Parse(l))
		}
		want := []Record{
			{Stream: Stdout, Text: "short"},
			{Stream: Stdout, Continued: true, Text: long[:100]},
			{Stream: Stdout, Continued: true, Text: long[100:200]},
			{Stream: Stdout, Text: long[200:]},
			{Stream: Stdout, Text: strings.Repeat("y", 100)},
			{Stream: Stdout, Text: "last"},
		}
		if len(recs) != len(want) {
			t.Fatalf("got %d records %q", len(recs), lines)
		}
		for i := range want {
			if recs[i].Time.IsZero() {
				t.Errorf("record %d has no time: %q", i, lines[i])
			}
			recs[i].Time = time.Time{}
			if recs[i] != want[i] {
				t.Errorf("record %d = %+v, want %+v", i, recs[i], want[i])
			}
		}
		if !strings.HasPrefix(lines[1], "2026-11-23T19:45:12.123456Z stdout+ xxx") {
			t.Errorf("continued record looks like %q", lines[1][:40])
		}
		if st.Split != 2 || st.Lines != 6 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("timestamps only", func(t *testing.T) {
		lines, _ := captureString(t, Options{Path: logPath(t), MaxLine: 100, NoStreamNames: true, Now: clock}, in)
		if r := Parse(lines[1]); !r.Continued || r.Stream != "" || r.Text != long[:100] || r.Time.IsZero() {
			t.Errorf("got %+v from %q", r, lines[1])
		}
	})
	t.Run("raw", func(t *testing.T) {
		path := logPath(t)
		captureString(t, Options{Path: path, MaxLine: 100, NoStreamNames: true, NoTimestamps: true}, in)
		got, _ := os.ReadFile(path)
		want := "short\n" + long[:100] + "\n" + long[100:200] + "\n" + long[200:] + "\n" + strings.Repeat("y", 100) + "\nlast\n"
		if string(got) != want {
			t.Errorf("raw file:\n%q\nwant\n%q", got, want)
		}
	})
}

// TestRawLargeInput checks the zero-copy path against a byte-exact copy,
// with reads that cut lines anywhere.
func TestRawLargeInput(t *testing.T) {
	var in bytes.Buffer
	for i := range 100_000 {
		in.Write(appendLine(nil, i)[:10+i%50])
		in.WriteByte('\n')
	}
	path := logPath(t)
	l, err := Open(Options{Path: path, NoStreamNames: true, NoTimestamps: true, MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Capture(Stdout, io.LimitReader(oddReader{bytes.NewReader(in.Bytes())}, 1<<40)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, in.Bytes()) {
		t.Fatalf("raw output differs: %d bytes, want %d", len(got), in.Len())
	}
}

// oddReader returns reads of varying odd sizes.
type oddReader struct{ r io.Reader }

func (o oddReader) Read(p []byte) (int, error) {
	return o.r.Read(p[:min(len(p), 7777)])
}

func TestOpenSafety(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/output.log"
	os.WriteFile(path, []byte("old line\n"), 0o600)
	lines, _ := captureString(t, Options{Path: path}, "new\n")
	if len(lines) != 2 || lines[0] != "old line" {
		t.Errorf("existing file not appended to: %q", lines)
	}
	fresh := dir + "/fresh.log"
	captureString(t, Options{Path: fresh}, "x\n")
	if st, _ := os.Stat(fresh); st.Mode().Perm()&0o007 != 0 || st.Mode().Perm()&0o640 != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	os.Symlink(fresh, dir+"/link.log")
	if _, err := Open(Options{Path: dir + "/link.log"}); err == nil {
		t.Error("opened a symlink")
	}
	if _, err := Open(Options{Path: dir}); err == nil {
		t.Error("opened a directory")
	}
}

// TestWholeLines compares the window scan with a line-by-line reference on
// random lines, some longer than the limit.
func TestWholeLines(t *testing.T) {
	ref := func(data []byte, maxLine int) int {
		end := 0
		for {
			p := data[end:]
			i := bytes.IndexByte(p[:min(len(p), maxLine+1)], '\n')
			if i < 0 {
				return end
			}
			end += i + 1
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		maxLine := 1 + rng.IntN(40)
		var data []byte
		for range rng.IntN(30) {
			data = append(data, bytes.Repeat([]byte{'x'}, rng.IntN(maxLine+3))...)
			if rng.IntN(8) > 0 {
				data = append(data, '\n')
			}
		}
		if got, want := wholeLines(data, maxLine), ref(data, maxLine); got != want {
			t.Fatalf("wholeLines(%q, %d) = %d, want %d", data, maxLine, got, want)
		}
	}
}

// TestIdleCaptureKeepsEveryByte: a capture whose pipe falls silent gives
// its buffers back and waits for the next byte holding none; what comes
// after, a line cut across the silence too, is captured whole, in every
// framing.
func TestIdleCaptureKeepsEveryByte(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"prefixed", Options{}},
		{"raw", Options{NoTimestamps: true, NoStreamNames: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var idles atomic.Int64
			opts := tc.opts
			opts.Path = logPath(t)
			opts.idleAfter, opts.idled = 5*time.Millisecond, func() { idles.Add(1) }
			l, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- l.Capture(Stdout, r) }()
			silence := func(n int64) {
				// Long enough for the capture to go idle: it says so.
				deadline := time.Now().Add(10 * time.Second)
				for idles.Load() < n {
					if time.Now().After(deadline) {
						t.Fatalf("the capture never went idle (%d times, want %d)", idles.Load(), n)
					}
					time.Sleep(time.Millisecond)
				}
			}
			io.WriteString(w, "first\n")
			silence(1)
			io.WriteString(w, "sec")
			time.Sleep(20 * time.Millisecond) // a line cut by a pause shorter or longer than idleAfter
			io.WriteString(w, "ond\n")
			silence(2)
			io.WriteString(w, strings.Repeat("z", 9000)+"\nlast\n")
			w.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range allLines(t, opts.Path) {
				got = append(got, Parse(line).Text)
			}
			if tc.name == "raw" {
				b, _ := os.ReadFile(opts.Path)
				got = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			}
			want := []string{"first", "second", strings.Repeat("z", 9000), "last"}
			if !slices.Equal(got, want) {
				t.Errorf("lines %q..., want %q...", short(got), short(want))
			}
		})
	}
}

func short(lines []string) []string {
	var out []string
	for _, l := range lines {
		if len(l) > 20 {
			l = l[:20] + "..."
		}
		out = append(out, l)
	}
	return out
}
