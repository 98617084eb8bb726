package logcap

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// crashAtEnv tells the rotator helper where to kill itself.
const crashAtEnv = "TEND_LOGCAP_CRASH_AT"

// Options of the rotator helper's log: a rotation every 20 lines or so.
const (
	crashMaxSize  = 2000
	crashMaxFiles = 3
)

// helperRotator writes numbered lines to the log at args[0] (MaxFiles 3,
// rotation every ~2000 bytes, compressed if args[1] is "gz") until it is
// killed, so that it spends its life rotating. It starts from the line
// after the last one in the log.
//
// With $TEND_LOGCAP_CRASH_AT set to POINT:N, it kills itself with SIGKILL
// the Nth time it reaches that step of a rotation or compression.
func helperRotator(args []string) int {
	path, compress := args[0], args[1] == "gz"
	next := 0
	if lines, err := Tail(path, 1, Filter{}); err == nil && len(lines) == 1 {
		next = lineNumber(Parse(lines[0]).Text) + 1
	}
	opts := Options{Path: path, MaxSize: crashMaxSize, MaxFiles: crashMaxFiles, Compress: compress}
	if at := os.Getenv(crashAtEnv); at != "" {
		point, nth, _ := strings.Cut(at, ":")
		n, _ := strconv.Atoi(nth)
		var seen atomic.Int64
		opts.crashAt = func(p string) {
			if p == point && seen.Add(1) == int64(n) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	}
	l, err := Open(opts)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	if compress && strings.HasPrefix(os.Getenv(crashAtEnv), "compress-") {
		err = rotateInStep(l, path, next)
	} else {
		err = l.Capture(Stdout, &lineSource{next: next}) // until killed
	}
	os.Stderr.WriteString("rotator: " + err.Error() + "\n")
	return 1
}

// rotateInStep writes a file's worth of lines and rotates, again and
// again, each time once the janitor has compressed what it should: so
// that compression is not raced by pruning and reaches every step.
func rotateInStep(l *Log, path string, next int) error {
	for i := next; ; {
		for range 10 {
			if err := l.Capture(Stdout, strings.NewReader(string(appendLine(nil, i)))); err != nil {
				return err
			}
			i++
		}
		if err := l.Rotate(); err != nil {
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); !compressed(path); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.New("the janitor compressed nothing for 10s")
			}
		}
	}
}

// compressed reports whether every rotated file of path but the newest is
// compressed, and only compressed.
func compressed(path string) bool {
	ents, err := listRotated(path)
	if err != nil {
		return false
	}
	for i, e := range ents {
		if i < len(ents)-1 && (e.plain || !e.gz) {
			return false
		}
	}
	return true
}

// lineSource is an endless reader of numbered lines (appendLine), whole
// lines per Read, about two rotations' worth.
type lineSource struct{ next int }

func (s *lineSource) Read(p []byte) (int, error) {
	n := 0
	for len(p)-n >= 64 && n < 2*crashMaxSize {
		n += len(appendLine(p[n:n], s.next))
		s.next++
	}
	return n, nil
}

// startRotator starts the rotator helper on path.
func startRotator(t *testing.T, path string, compress bool, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mode := "plain"
	if compress {
		mode = "gz"
	}
	cmd := exec.Command(exe, path, mode)
	cmd.Env = testexec.Environ("rotator", env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// checkAfterCrash checks what a writer killed at any moment must leave,
// then what the next Open must make of it: an output.log to append to, at
// most MaxFiles rotated files, no temporary file, and the lines written
// in order, each once.
func checkAfterCrash(t *testing.T, path string, compress bool, when string) {
	t.Helper()
	dir := filepath.Dir(path)
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("%s: no %s after the crash: %v (files: %v)", when, filepath.Base(path), err, dirNames(t, dir))
	}
	if n := len(rotatedFiles(t, path)); n > crashMaxFiles {
		t.Errorf("%s: %d rotated files after the crash, more than MaxFiles %d: %v", when, n, crashMaxFiles, dirNames(t, dir))
	}
	checkInOrder(t, allLines(t, path), when+", before Open")
	l, err := Open(Options{Path: path, MaxSize: crashMaxSize, MaxFiles: crashMaxFiles, Compress: compress})
	if err != nil {
		t.Fatalf("%s: Open after the crash: %v", when, err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("%s: no %s after Open: %v", when, filepath.Base(path), err)
	}
	if n := len(rotatedFiles(t, path)); n > crashMaxFiles {
		t.Errorf("%s: %d rotated files once Open returned, more than MaxFiles %d: %v", when, n, crashMaxFiles, dirNames(t, dir))
	}
	if err := l.Close(); err != nil {
		t.Errorf("%s: Close: %v", when, err)
	}
	for _, n := range dirNames(t, dir) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("%s: temporary file %s left after Open and Close", when, n)
		}
	}
	checkInOrder(t, allLines(t, path), when)
}

// checkInOrder fails unless lines are numbered lines, each one more than
// the one before.
func checkInOrder(t *testing.T, lines []string, when string) {
	t.Helper()
	prev := -1
	for i, line := range lines {
		n := lineNumber(Parse(line).Text)
		if n < 0 || (prev >= 0 && n != prev+1) {
			t.Errorf("%s: line %d is %q after line number %d: lost or repeated lines", when, i, line, prev)
			return
		}
		prev = n
	}
}

// newestRotated returns the stem of path's newest rotated file, or "".
func newestRotated(t *testing.T, path string) string {
	ents := rotatedFiles(t, path)
	if len(ents) == 0 {
		return ""
	}
	return ents[len(ents)-1].stem
}

// TestKillDuringRotation kills a process that writes and rotates its log
// with SIGKILL at random moments, and checks what it leaves each time
// (in a campaign, 16 of 100 such kills left more rotated files than
// MaxFiles, and 1 in 60 no output.log at all).
func TestKillDuringRotation(t *testing.T) {
	const rounds = 24
	path := logPath(t)
	for i := range rounds {
		compress := i%2 == 1
		before := newestRotated(t, path)
		cmd := startRotator(t, path, compress)
		// Let it reach the steady state, where each rotation prunes.
		testexec.WaitFor(t, 10*time.Second, "the rotator's rotations", func() bool {
			ents := rotatedFiles(t, path)
			newer := 0
			for _, e := range ents {
				if e.stem > before {
					newer++
				}
			}
			return len(ents) >= crashMaxFiles && newer >= 2
		})
		// A random moment: rotation takes most of the helper's time.
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkAfterCrash(t, path, compress, "round "+strconv.Itoa(i))
		if t.Failed() {
			return
		}
	}
}

// TestKillAtEachRotationStep kills the writer at each step of a rotation
// and of a compression in turn, once the log has MaxFiles rotated files
// (so that every rotation prunes), and checks what it leaves each time.
func TestKillAtEachRotationStep(t *testing.T) {
	for _, tc := range []struct {
		point    string
		nth      int
		compress bool
	}{
		{"rotate-pruned", 2 * crashMaxFiles, false},  // the oldest deleted, nothing made yet
		{"rotate-created", 2 * crashMaxFiles, false}, // the next file made under its temporary name
		{"rotate-linked", 2 * crashMaxFiles, false},  // the current file also under its rotated name
		{"rotate-renamed", 2 * crashMaxFiles, false}, // the next file is the path
		{"rotate-linked", 2 * crashMaxFiles, true},
		{"compress-written", 3, true}, // a complete .gz.tmp
		{"compress-renamed", 3, true}, // the .gz beside its plain file
	} {
		name := tc.point
		if tc.compress {
			name += "/gz"
		}
		t.Run(name, func(t *testing.T) {
			path := logPath(t)
			cmd := startRotator(t, path, tc.compress, crashAtEnv+"="+tc.point+":"+strconv.Itoa(tc.nth))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("the rotator did not kill itself at %s: %v", tc.point, err)
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("the rotator never reached %s", tc.point)
			}
			checkAfterCrash(t, path, tc.compress, tc.point)
		})
	}
}
