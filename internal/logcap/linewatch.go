package logcap

import (
	"bytes"
	"io"
	"regexp"
	"sync/atomic"
)

// LineWatch looks for the first line that matches a pattern in the
// streams captured with it (CaptureWatched): `--ready log:REGEX`. It is
// armed for one incarnation at a time; armed, it costs the capture a
// look at each line it reads until one matches; otherwise one atomic
// load per read. The zero LineWatch is disarmed. Its methods are safe
// for concurrent use.
type LineWatch struct {
	armed atomic.Pointer[lineMatch]
}

// lineMatch is one arming: found is called once, by whichever capture
// reads the first matching line.
type lineMatch struct {
	re    *regexp.Regexp
	found func(line string)
	done  atomic.Bool
}

// Arm makes the watch call found, once, with the first line read from now
// on that re matches (without its newline); it replaces an arming before.
// found runs on a capture's goroutine: it must not block.
func (w *LineWatch) Arm(re *regexp.Regexp, found func(line string)) {
	w.armed.Store(&lineMatch{re: re, found: found})
}

// Disarm ends the watch: no line is looked at any more.
func (w *LineWatch) Disarm() { w.armed.Store(nil) }

// CaptureWatched is Capture, with each line also shown to w while it is
// armed.
func (l *Log) CaptureWatched(stream string, r io.Reader, w *LineWatch) error {
	c := newCapture(l, stream)
	c.watch = &lineLook{w: w}
	return c.run(r)
}

// lineLook is one capture's side of a LineWatch: the start of a line
// whose end it has not read yet.
type lineLook struct {
	w       *LineWatch
	seen    *lineMatch // the arming partial belongs to
	partial []byte
}

// maxWatchedLine bounds what a watch keeps of a line without its end:
// a longer line is matched on its first maxWatchedLine bytes.
const maxWatchedLine = 64 << 10

// look shows the bytes just read to the armed watch; eof says that no
// more come, so that a last line without a newline counts too.
func (x *lineLook) look(p []byte, eof bool) {
	m := x.w.armed.Load()
	if m == nil || m.done.Load() {
		x.partial, x.seen = x.partial[:0], nil
		return
	}
	if m != x.seen {
		x.seen, x.partial = m, x.partial[:0]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := max(0, maxWatchedLine-len(x.partial))
			x.partial = append(x.partial, p[:min(len(p), room)]...)
			break
		}
		line := p[:i]
		if len(x.partial) > 0 {
			x.partial = append(x.partial, line[:min(len(line), max(0, maxWatchedLine-len(x.partial)))]...)
			line = x.partial
		}
		if x.match(m, line) {
			return
		}
		x.partial, p = x.partial[:0], p[i+1:]
	}
	if eof && len(x.partial) > 0 {
		x.match(m, x.partial)
		x.partial = x.partial[:0]
	}
}

// match calls the arming's found if line matches and no other capture
// has found one first.
func (x *lineLook) match(m *lineMatch, line []byte) bool {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if !m.re.Match(line) || !m.done.CompareAndSwap(false, true) {
		return false
	}
	m.found(string(line))
	x.partial = x.partial[:0]
	return true
}

// CopyWatched copies src to dst as it comes, showing its lines to w while
// it is armed: the output of a program that is passed through rather
// than captured (tend run), and still has its readiness line looked for.
// It returns at the end of src, or at the first error.
func CopyWatched(dst io.Writer, src io.Reader, w *LineWatch) error {
	x := &lineLook{w: w}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		x.look(buf[:n], err != nil)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
