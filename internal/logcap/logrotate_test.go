package logcap

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// writeLog writes lines from..to-1 (as logcap records) to name, gzipped
// if name ends in .gz, with modification time mtime (if not zero).
func writeLog(t *testing.T, name string, from, to int, mtime time.Time) {
	t.Helper()
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString("2026-11-23T19:45:12.123456Z stdout ")
		b.Write(appendLine(nil, i))
	}
	data := []byte(b.String())
	if strings.HasSuffix(name, ".gz") {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	} else if err := os.WriteFile(name, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

// decoys puts files beside path that Tail must never read: names close
// to logrotate's that are not, and special files under logrotate's names
// (a FIFO would block a reader forever). Their lines say SECRET.
func decoys(t *testing.T, path string) {
	t.Helper()
	dir := filepath.Dir(path)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("SECRET\n"), 0o600)
	for _, n := range []string{".bak", ".01", ".1234567", "-old", ".1.xz", ".1x", "-2026", "-20261399", ".gz", "x.1", ".next.tmp", ".1.gz.tmp"} {
		os.WriteFile(path+n, []byte("SECRET\n"), 0o600)
	}
	if err := os.Symlink(secret, path+".7"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path+".8", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path+"-20261231", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, filepath.Base(path)+".20261202T000000.000000Z")); err != nil {
		t.Fatal(err)
	}
}

// tailWithin runs Tail and fails if it blocks.
func tailWithin(t *testing.T, path string, n int) []string {
	t.Helper()
	type result struct {
		lines []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		lines, err := Tail(path, n, Filter{})
		done <- result{lines, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.lines
	case <-time.After(10 * time.Second):
		t.Fatal("Tail blocked")
		return nil
	}
}

// TestTailLogrotateNumbered: logrotate's numbered files, with compress
// and delaycompress, are read oldest (highest number) first, by number
// (11 before 2).
func TestTailLogrotateNumbered(t *testing.T) {
	path := logPath(t)
	writeLog(t, path+".11.gz", 0, 10, time.Time{})
	writeLog(t, path+".2.gz", 10, 20, time.Time{})
	writeLog(t, path+".1", 20, 30, time.Time{})
	writeLog(t, path, 30, 40, time.Time{})
	decoys(t, path)
	checkSequence(t, tailWithin(t, path, 0), 0, 40)
	checkSequence(t, tailWithin(t, path, 25), 15, 40)
	// Without the current file, its history still reads (and not
	// output.log.gz, which is no rotated name).
	os.Remove(path)
	checkSequence(t, tailWithin(t, path, 0), 0, 30)
}

func TestTailLogrotateDateext(t *testing.T) {
	path := logPath(t)
	writeLog(t, path+"-20261129.gz", 0, 10, time.Time{})
	writeLog(t, path+"-20261130.gz", 10, 20, time.Time{})
	writeLog(t, path+"-20261201", 20, 30, time.Time{})
	writeLog(t, path, 30, 40, time.Time{})
	decoys(t, path)
	checkSequence(t, tailWithin(t, path, 0), 0, 40)

	// An hourly dateformat (-%Y%m%d%H); one with dashes and %s.
	path = logPath(t)
	writeLog(t, path+"-2026120109", 0, 10, time.Time{})
	writeLog(t, path+"-2026120110.gz", 10, 20, time.Time{})
	writeLog(t, path, 20, 30, time.Time{})
	checkSequence(t, tailWithin(t, path, 0), 0, 30)
	path = logPath(t)
	writeLog(t, path+".2026-11-30-1764496800.gz", 0, 10, time.Time{})
	writeLog(t, path+".2026-12-01-1764583200", 10, 20, time.Time{})
	writeLog(t, path, 20, 30, time.Time{})
	checkSequence(t, tailWithin(t, path, 0), 0, 30)
}

// TestTailMixedRotation: a log rotated by size by tend and daily by
// logrotate is read in the order it was written, by the time of each
// file: logcap's rotation stamp, logrotate's modification time.
func TestTailMixedRotation(t *testing.T) {
	path := logPath(t)
	day := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, time.UTC) }
	writeLog(t, path+".2.gz", 0, 10, day(1, 0))                     // logrotate, 2 days ago
	writeLog(t, rotatedName(path, day(1, 12)), 10, 20, time.Time{}) // tend, by size
	writeLog(t, rotatedName(path, day(1, 18))+".gz", 20, 30, time.Time{})
	writeLog(t, path+".1", 30, 40, day(2, 0)) // logrotate, yesterday
	writeLog(t, rotatedName(path, day(2, 6)), 40, 50, time.Time{})
	writeLog(t, path, 50, 60, time.Time{})
	decoys(t, path)
	checkSequence(t, tailWithin(t, path, 0), 0, 60)
	checkSequence(t, tailWithin(t, path, 35), 25, 60)

	// tend's own rotation does not touch logrotate's files.
	l, err := Open(Options{Path: path, MaxFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, l, 60, 61)
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, n := range []string{".2.gz", ".1"} {
		if _, err := os.Stat(path + n); err != nil {
			t.Errorf("logrotate's %s: %v", n, err)
		}
	}
	if n := len(rotatedFiles(t, path)); n != 1 {
		t.Errorf("%d of tend's rotated files, want 1", n)
	}
}

// TestFollowLogrotate follows a log that logrotate rotates twice, with
// compress and delaycompress and a reopen in postrotate, and reads
// logrotate's files before it starts: every line once, in order.
func TestFollowLogrotate(t *testing.T) {
	path := logPath(t)
	writeLog(t, path+".2.gz", 0, 10, time.Time{})
	writeLog(t, path+".1", 10, 20, time.Time{})
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f := newFeeder(t, l)
	f.lines(t, 20, 30)
	rotate := func() {
		// As logrotate does: shift the numbered files, compress the one
		// that is no longer the newest, rename the log, then postrotate.
		os.Remove(path + ".3.gz")
		os.Rename(path+".2.gz", path+".3.gz")
		os.Rename(path+".1", path+".2")
		if err := gzipKeepTime(path + ".2"); err != nil {
			t.Fatal(err)
		}
		os.Rename(path, path+".1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testexec.Buffer
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, -1, &out, Filter{}) }()
	upTo := func(n int) {
		t.Helper()
		testexec.WaitFor(t, 10*time.Second, fmt.Sprintf("%d lines followed", n), func() bool { return strings.Count(out.String(), "\n") >= n })
	}
	upTo(30)
	f.lines(t, 30, 100)
	rotate()
	f.lines(t, 100, 200) // still to the renamed file, until the reopen
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	f.lines(t, 200, 250)
	// logrotate runs daily: Follow (which polls every 50 ms) has read the
	// file before it is rotated again.
	upTo(250)
	rotate()
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	f.lines(t, 250, 300)
	upTo(300)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkSequence(t, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), 0, 300)
	// The second rotation deleted the oldest file (0-9), as rotate 2 would.
	checkSequence(t, allLines(t, path), 10, 300)
}

// gzipKeepTime compresses name to name.gz and removes name, keeping its
// modification time, as gzip(1) does.
func gzipKeepTime(name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	f, err := os.Create(name + ".gz")
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chtimes(name+".gz", st.ModTime(), st.ModTime()); err != nil {
		return err
	}
	return os.Remove(name)
}
