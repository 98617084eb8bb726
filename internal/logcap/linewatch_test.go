package logcap

import (
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLineWatch: an armed watch finds the first matching line of either
// stream once, also when the line comes in pieces, and still writes every
// line to the log; a disarmed watch and lines before the arming find
// nothing; a last line without a newline counts at the end of its stream.
func TestLineWatch(t *testing.T) {
	path := logPath(t)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var w LineWatch
	found := make(chan string, 4)
	var calls atomic.Int32
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	var wg sync.WaitGroup
	for _, c := range []struct {
		name string
		r    *os.File
	}{{Stdout, outR}, {Stderr, errR}} {
		wg.Go(func() { l.CaptureWatched(c.name, c.r, &w) })
	}
	outW.WriteString("listening before the arming\n")
	waitLines(t, path, 1)
	w.Arm(regexp.MustCompile(`^listening on (\d+)$`), func(line string) { calls.Add(1); found <- line })
	outW.WriteString("starting\nlisten") // a line in pieces
	outW.WriteString("ing on 80")
	errW.WriteString("listening on 81\n")
	outW.WriteString("80\nlistening on 82\n")
	select {
	case line := <-found:
		if line != "listening on 8080" && line != "listening on 81" {
			t.Errorf("found %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watch found no line")
	}
	waitLines(t, path, 5)
	if n := calls.Load(); n != 1 {
		t.Errorf("found called %d times, want once", n)
	}
	w.Arm(regexp.MustCompile(`^last$`), func(line string) { found <- line })
	errW.WriteString("last") // no newline: counted at the stream's end
	errW.Close()
	select {
	case line := <-found:
		if line != "last" {
			t.Errorf("found %q at the stream's end", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the last line without a newline was not found")
	}
	w.Disarm()
	outW.WriteString("last\n")
	outW.Close()
	wg.Wait()
	l.Close()
	select {
	case line := <-found:
		t.Errorf("a disarmed watch found %q", line)
	default:
	}
}

// waitLines waits until the log at path has n lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		got := 0
		for _, c := range b {
			if c == '\n' {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has %d lines, want %d:\n%s", got, n, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
