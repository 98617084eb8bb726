package logcap

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestStreamLines counts each stream's records as its captures frame
// them: whole lines, a last line without a newline, and a line split for
// its length (two records), of two captures of the same stream.
func TestStreamLines(t *testing.T) {
	l, err := Open(Options{Path: filepath.Join(t.TempDir(), "out.log"), MaxLine: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	capture := func(stream, text string) {
		if err := l.Capture(stream, io.NopCloser(strings.NewReader(text))); err != nil {
			t.Fatal(err)
		}
	}
	capture(Stdout, "one\ntwo\nthree")
	capture(Stdout, "four\n")
	capture(Stderr, "a line of 20 bytes..\n")
	capture(InstanceStream(Stderr, 1), "x\n")
	got := l.StreamLines()
	want := map[string]int64{Stdout: 4, Stderr: 3, "stderr.1": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("StreamLines()[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("StreamLines() = %v, want %v", got, want)
	}
}
