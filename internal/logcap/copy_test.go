package logcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopy writes every line of a log rotated several times, oldest
// first, as Tail with no limit returns them, and filters by stream.
func TestCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l, err := Open(Options{Path: path, MaxSize: 4 << 10, MaxFiles: 3, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	for i := range 200 {
		fmt.Fprintf(&out, "out %d\n", i)
		fmt.Fprintf(&errs, "err %d\n", i)
	}
	l.Capture(Stdout, io.NopCloser(strings.NewReader(out.String())))
	l.Capture(Stderr, io.NopCloser(strings.NewReader(errs.String())))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{}, {Stream: Stderr}} {
		want, err := Tail(path, 0, f)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Copy(path, &got, f); err != nil {
			t.Fatal(err)
		}
		if g := strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n"); strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Errorf("Copy(%+v): %d lines, Tail: %d; first %q, want %q", f, len(g), len(want), g[0], want[0])
		}
	}
	if err := Copy(filepath.Join(t.TempDir(), "none.log"), io.Discard, Filter{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Copy of no log: %v, want fs.ErrNotExist", err)
	}
}
