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
	"strconv"
	"syscall"
	"time"
)

// Record is one parsed log line.
type Record struct {
	Time        time.Time // zero if the line has no timestamp
	Stream      string    // Stdout, Stderr, Marker, or "" if not recognised
	Instance    int       // the instance that wrote it (stdout.N, stderr.N), if HasInstance
	HasInstance bool      // the stream name carries an instance number
	Continued   bool      // the line goes on in the next record of the stream
	Text        string    // the line without prefix and newline
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
			rest := line[len(s):]
			if rest[0] == '.' && s != Marker {
				// stdout.N: the output of instance N (see InstanceStream),
				// N written as strconv.Itoa does: no leading zeros.
				n, i := 0, 1
				for ; i < len(rest) && i < 5 && rest[i] >= '0' && rest[i] <= '9'; i++ {
					n = n*10 + int(rest[i]-'0')
				}
				if i == 1 || i == len(rest) || (rest[1] == '0' && i > 2) {
					continue
				}
				r.Instance, r.HasInstance, rest = n, true, rest[i:]
			}
			switch {
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
//
// The rotated files are logcap's own and those of an external logrotate,
// numbered (output.log.1, output.log.2.gz) or dated (dateext:
// output.log-20261201), in the order they were written (see the package
// doc, "Reading"); no other file is read.
func Tail(path string, n int, f Filter) ([]string, error) {
	// The current file is opened first, then the rotated ones listed: a
	// rotation in between shows as the open file under a rotated name,
	// and the list is cut there. (Listed first, a rotation before the
	// open would hide the file it renamed: a file's lines missing in the
	// middle.)
	cur, err := openRead(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if cur != nil {
		defer cur.Close()
	}
	ents, err := listHistory(path)
	if err != nil {
		return nil, fmt.Errorf("logcap: tail %s: %w", path, err)
	}
	if cur != nil {
		ents = olderThan(ents, cur)
	}
	var chunks [][]string // newest file first
	have, found := 0, false
	for i := len(ents); i >= 0; i-- {
		need := 0
		if n > 0 {
			if need = n - have; need <= 0 {
				break
			}
		}
		var lines []string
		var err error
		if i == len(ents) {
			if cur == nil {
				continue
			}
			if lines, _, err = tailReader(cur, need, f, true); err != nil {
				err = fmt.Errorf("logcap: read %s: %w", path, err)
			}
		} else {
			lines, _, err = tailFile(ents[i].stem, need, f)
		}
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

// olderThan returns the rotated files of ents written before cur, the
// current file as it was opened: all of them, unless cur has been
// rotated since (or a rotation was caught between its two steps), in
// which case cur is one of ents under its rotated name, and it and those
// after it are left out.
func olderThan(ents []rotEntry, cur *os.File) []rotEntry {
	st, err := cur.Stat()
	if err != nil {
		return ents
	}
	for i, e := range ents {
		if !e.plain {
			continue
		}
		if at, err := os.Lstat(e.stem); err == nil && os.SameFile(at, st) {
			return ents[:i]
		}
	}
	return ents
}

// tailFile returns the last need (all if 0) matching lines of one rotated
// file, plain or, if the plain file is gone, gzipped.
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
	f, err := openRead(name)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = openRead(name + gzSuffix)
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

// readFlags open a log for reading without blocking on a FIFO put in its
// place, without acquiring a controlling terminal and without passing the
// descriptor on.
const readFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC

// openRead opens a log file for reading. Anything but a regular file is
// refused, never read.
func openRead(name string) (*os.File, error) {
	f, err := os.OpenFile(name, readFlags, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("logcap: read %s: %w", name, err)
	}
	return f, nil
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

// InstanceStream names stream (Stdout or Stderr) for instance n of a
// daemon that runs several: "stdout.2". Parse reads the number back into
// Record.Instance, and a Filter on Stdout or Stderr keeps every
// instance's lines.
func InstanceStream(stream string, n int) string { return stream + "." + strconv.Itoa(n) }
