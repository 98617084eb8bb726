package logcap

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
	"golang.org/x/sys/unix"
)

// smallDisk mounts a tmpfs of size KiB with a filler file of fill KiB in
// it, and returns the folder and the filler's path.
func smallDisk(t *testing.T, size, fill int) (dir, filler string) {
	t.Helper()
	dir = t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)+"k"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot mount tmpfs: %v", err)
		}
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	filler = filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, fill<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, filler
}

// TestDiskFullRotatesToRecover: on a disk that its own rotated files
// filled, the log rotates before it writes what it held (the oldest
// rotated file goes) and recovers with no space freed by anyone else.
func TestDiskFullRotatesToRecover(t *testing.T) {
	// 1 MiB, 700 KiB taken: output.log (200 KiB at most) and one rotated
	// file do not both fit.
	dir, _ := smallDisk(t, 1024, 700)
	path := filepath.Join(dir, "output.log")
	l, err := Open(Options{Path: path, MaxSize: 200 << 10, MaxFiles: 1, MaxHeld: 64 << 10, Retry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	capDone := make(chan error, 1)
	go func() { capDone <- l.Capture(Stdout, r) }()
	const n = 6000 // ~480 KiB: more than is left
	waitClosed(t, pump(t, w, 0, n), "capture stopped draining the pipe")
	// Every line written or counted lost (so the disk did fill), and the
	// log healthy again: not merely healthy before the disk filled.
	testexec.WaitFor(t, 5*time.Second, "recovery without freeing space", func() bool {
		st := l.Stats()
		return !st.Degraded() && st.HeldBytes == 0 && st.Lines+st.LostLines >= n
	})
	st := l.Stats()
	w.Close()
	<-capDone
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Rotations < 2 {
		t.Errorf("rotations %d: the full disk was not answered by a rotation", st.Rotations)
	}
	lines := allLines(t, path)
	last := Parse(lines[len(lines)-1])
	if lineNumber(last.Text) != n-1 && last.Stream != Marker {
		t.Errorf("last line %q, want line %d or the loss marker", lines[len(lines)-1], n-1)
	}
	// The marker is in the log, though not always in output.log: the
	// lines written after the recovery may have rotated it out (into the
	// one rotated file, which Tail reads too).
	named := false
	for _, line := range lines {
		if r := Parse(line); r.Stream == Marker && strings.Contains(r.Text, "no space left on device") {
			named = true
		}
	}
	if !named {
		t.Errorf("no marker names the cause in the log's %d lines (%v)", len(lines), dirNames(t, dir))
	}
}

// TestDiskFullRecoversWithinSeconds: after a long full disk, the log
// recovers within a few seconds of space being freed, not after a retry
// delay that doubled for as long as the disk was full.
func TestDiskFullRecoversWithinSeconds(t *testing.T) {
	dir, filler := smallDisk(t, 1024, 900)
	path := filepath.Join(dir, "output.log")
	l, err := Open(Options{Path: path, MaxSize: -1, MaxHeld: 64 << 10, Retry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	capDone := make(chan error, 1)
	go func() { capDone <- l.Capture(Stdout, r) }()
	waitClosed(t, pump(t, w, 0, 10_000), "capture stopped draining the pipe")
	testexec.WaitFor(t, 5*time.Second, "degraded", func() bool { return l.Stats().Degraded() })
	if st := l.Stats(); !errors.Is(st.Err, syscall.ENOSPC) {
		t.Fatalf("stats %+v", st)
	}
	// The fault lasts 6 s (a duration, not a wait for an outcome): retries
	// 10 ms apart at first, doubling; uncapped, the next would be 5 s away.
	time.Sleep(6 * time.Second)
	os.Remove(filler)
	freed := time.Now()
	testexec.WaitFor(t, 10*time.Second, "recovery", func() bool { return !l.Stats().Degraded() })
	if took := time.Since(freed); took > 3*time.Second {
		t.Errorf("recovered %v after space was freed, want within 3s", took)
	}
	w.Close()
	<-capDone
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	present, lost := checkAfterFailure(t, path)
	if present+lost != 10_000 || lost == 0 {
		t.Errorf("present %d, lost %d, want sum 10000", present, lost)
	}
}
