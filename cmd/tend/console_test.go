package main

import (
	"bytes"
	"strings"
	"testing"
)

// recorder keeps each write apart.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

// TestConsoleWritesWholeLinesInPieces: a console passes everything on,
// in writes of whole lines of at most consoleChunk bytes, a longer line
// alone, and a last line without a newline as it is.
func TestConsoleWritesWholeLinesInPieces(t *testing.T) {
	var in strings.Builder
	for i := range 2000 {
		in.WriteString(strings.Repeat("x", i%97) + "\n")
	}
	in.WriteString(strings.Repeat("L", 3*consoleChunk) + "\n") // a line longer than a piece
	in.WriteString("short\nno newline at the end")
	r := &recorder{}
	c := &console{w: r}
	if n, err := c.Write([]byte(in.String())); n != in.Len() || err != nil {
		t.Fatalf("Write: %d, %v; want %d", n, err, in.Len())
	}
	if got := string(bytes.Join(r.writes, nil)); got != in.String() {
		t.Fatal("the pieces do not add up to what was written")
	}
	for i, w := range r.writes {
		last := i == len(r.writes)-1
		switch {
		case !last && w[len(w)-1] != '\n':
			t.Errorf("piece %d does not end a line: ...%q", i, w[max(0, len(w)-20):])
		case len(w) > consoleChunk && bytes.Count(w, []byte("\n")) != 1:
			t.Errorf("piece %d is %d bytes, more than %d, and not one long line", i, len(w), consoleChunk)
		}
	}
	if len(r.writes) < 4 {
		t.Errorf("%d pieces for %d bytes", len(r.writes), in.Len())
	}
}
