package logcap

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// TestMain lets the test binary act as the child whose output is captured:
// with TEND_TEST_HELPER=lines it writes numbered lines and exits.
func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{"lines": helperLines, "rotator": helperRotator})
	os.Exit(m.Run())
}

// helperLines writes N numbered lines (args: N, "stdout" or "both") as fast
// as it can; with "both", even lines go to stdout and odd ones to stderr.
func helperLines(args []string) int {
	n, _ := strconv.Atoi(args[0])
	both := args[1] == "both"
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	errw := bufio.NewWriterSize(os.Stderr, 64<<10)
	var b []byte
	for i := range n {
		w := out
		if both && i%2 == 1 {
			w = errw
		}
		b = appendLine(b[:0], i)
		if _, err := w.Write(b); err != nil {
			return 1
		}
	}
	if out.Flush() != nil || errw.Flush() != nil {
		return 1
	}
	return 0
}

// appendLine appends the test line numbered i: "line 00000042 " and padding
// to 64 bytes with its newline.
func appendLine(b []byte, i int) []byte {
	b = append(b, "line "...)
	s := strconv.Itoa(i)
	for range 8 - len(s) {
		b = append(b, '0')
	}
	b = append(b, s...)
	b = append(b, " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678\n"[:64-13-1]...)
	return append(b, '\n')
}

// lineNumber parses a line made by appendLine (without newline), or -1.
func lineNumber(text string) int {
	if len(text) != 63 || !strings.HasPrefix(text, "line ") {
		return -1
	}
	n, err := strconv.Atoi(text[5:13])
	if err != nil || string(appendLine(nil, n)[:63]) != text {
		return -1
	}
	return n
}

// helperCmd returns a command running this test binary as a helper.
func helperCmd(t testing.TB, name string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TEND_TEST_HELPER="+name)
	return cmd
}

// allLines returns every line of path's rotated files and path, in order.
func allLines(t *testing.T, path string) []string {
	t.Helper()
	lines, err := Tail(path, 0, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func logPath(t *testing.T) string { return filepath.Join(t.TempDir(), "output.log") }

// fixedClock returns a clock that advances 1 ms per call from start.
func fixedClock(start time.Time) func() time.Time {
	ch := make(chan time.Time, 1)
	ch <- start
	return func() time.Time {
		t := <-ch
		ch <- t.Add(time.Millisecond)
		return t
	}
}
