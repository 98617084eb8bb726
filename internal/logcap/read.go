package logcap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Record is one parsed log line.
type Record struct {
	Time      time.Time // zero if the line has no timestamp
	Stream    string    // Stdout, Stderr, Marker, or "" if not recognised
	Continued bool      // the line goes on in the next record of the stream
	Text      string    // the line without prefix and newline
}

// Parse splits a log line (with or without its newline) into its prefix
// fields and text. A timestamp is recognised by its fixed layout; a stream
// name only if it is Stdout, Stderr or Marker. Text that merely looks like a
// prefix (in a file written without prefixes) is misread: filters need the
// prefixes to be on.
func Parse(line string) Record {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	var r Record
	if t, ok := parseStamp(line); ok {
		rest := line[stampLen:]
		if len(rest) >= 2 && rest[0] == '+' && rest[1] == ' ' {
			return Record{Time: t, Continued: true, Text: rest[2:]}
		}
		if len(rest) >= 1 && rest[0] == ' ' {
			r.Time, line = t, rest[1:]
		}
	}
	for _, s := range [...]string{Stdout, Stderr, Marker} {
		if len(line) > len(s) && line[:len(s)] == s {
			switch rest := line[len(s):]; {
			case rest[0] == ' ':
				r.Stream, r.Text = s, rest[1:]
				return r
			case len(rest) >= 2 && rest[0] == '+' && rest[1] == ' ':
				r.Stream, r.Continued, r.Text = s, true, rest[2:]
				return r
			}
		}
	}
	r.Text = line
	return r
}

// parseStamp reads a "2006-01-02T15:04:05.000000Z" prefix.
func parseStamp(s string) (time.Time, bool) {
	if len(s) < stampLen || s[4] != '-' || s[10] != 'T' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s[:stampLen])
	return t, err == nil
}

// Filter selects lines for Tail and Follow. The zero Filter selects all.
type Filter struct {
	// Stream keeps only lines of this stream (Stdout or Stderr); loss
	// markers are always kept. Needs stream names in the file.
	Stream string
	// Since keeps only lines stamped at or after Since; lines without a
	// timestamp are dropped when Since is set. Needs timestamps in the file.
	Since time.Time
}

func (f Filter) match(line []byte) bool {
	if f.Stream == "" && f.Since.IsZero() {
		return true
	}
	r := Parse(string(line))
	if f.Stream != "" && r.Stream != f.Stream && r.Stream != Marker {
		return false
	}
	return f.Since.IsZero() || (!r.Time.IsZero() && !r.Time.Before(f.Since))
}

// Tail returns the last n lines (all if n <= 0) that match f, oldest first,
// from path's rotated files (plain or gzipped) and path itself. Lines are
// returned as stored, without the newline. A missing current file is not an
// error; it is an error if no file exists at all.
func Tail(path string, n int, f Filter) ([]string, error) {
	ents, err := listRotated(path)
	if err != nil {
		return nil, fmt.Errorf("logcap: tail %s: %w", path, err)
	}
	names := make([]string, 0, len(ents)+1)
	for _, e := range ents {
		names = append(names, e.stem)
	}
	names = append(names, path)
	var chunks [][]string // newest file first
	have, found := 0, false
	for i := len(names) - 1; i >= 0; i-- {
		need := 0
		if n > 0 {
			if need = n - have; need <= 0 {
				break
			}
		}
		lines, _, err := tailFile(names[i], need, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned or compressed while we looked
		}
		if err != nil {
			return nil, err
		}
		found = true
		chunks = append(chunks, lines)
		have += len(lines)
	}
	if !found {
		return nil, fmt.Errorf("logcap: tail %s: %w", path, fs.ErrNotExist)
	}
	res := make([]string, 0, have)
	for i := len(chunks) - 1; i >= 0; i-- {
		res = append(res, chunks[i]...)
	}
	return res, nil
}

// tailFile returns the last need (all if 0) matching lines of one file.
func tailFile(name string, need int, f Filter) ([]string, []byte, error) {
	rc, err := openLog(name)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	lines, partial, err := tailReader(rc, need, f, true)
	if err != nil {
		return nil, nil, fmt.Errorf("logcap: read %s: %w", name, err)
	}
	return lines, partial, nil
}

// tailReader returns the last need (all if 0) matching lines of r. An
// unterminated last line counts as a line if final, else it is returned as
// partial (a record still being written).
func tailReader(r io.Reader, need int, f Filter, final bool) ([]string, []byte, error) {
	var ring []string
	var partial []byte
	next := 0
	err := eachLine(r, func(line []byte, complete bool) {
		if !complete && !final {
			partial = append([]byte(nil), line...)
			return
		}
		if !f.match(line) {
			return
		}
		s := string(bytes.TrimSuffix(line, []byte{'\n'}))
		if need == 0 || len(ring) < need {
			ring = append(ring, s)
			return
		}
		ring[next] = s
		next = (next + 1) % need
	})
	if err != nil {
		return nil, nil, err
	}
	return append(ring[next:], ring[:next]...), partial, nil
}

// openLog opens a plain log file, or its .gz if the plain one is gone
// (compressed since it was listed), decompressing transparently.
func openLog(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(name + gzSuffix)
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("logcap: read %s: %w", f.Name(), err)
		}
		return gzReadCloser{zr, f}, nil
	}
	return f, err
}

type gzReadCloser struct {
	*gzip.Reader
	f *os.File
}

func (g gzReadCloser) Close() error { g.Reader.Close(); return g.f.Close() }

// eachLine calls fn for every line of r, including a last line without a
// newline (complete == false). Lines of any length are passed whole.
func eachLine(r io.Reader, fn func(line []byte, complete bool)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, b...)
			continue
		}
		if long != nil {
			b = append(long, b...)
			long = nil
		}
		if len(b) > 0 {
			fn(b, b[len(b)-1] == '\n')
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
