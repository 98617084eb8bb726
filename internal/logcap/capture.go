package logcap

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// capture frames one stream. Buffers circulate between it and the writer
// through free: a full read or batch buffer waits for the writer, which is
// what slows the reader (and so the child) to the disk's pace.
//
// Buffers start small (startBuffer) and double, up to the Log's bufSize,
// each time a read fills the read buffer: a daemon that writes a line now
// and then costs a few KiB, one that writes as fast as it can gets large
// reads, as does a line longer than the buffer. The kernel pipe grows
// with them.
type capture struct {
	l       *Log
	pre     *prefixer
	maxLine int
	size    int // the size of new buffers now
	maxSize int
	pipe    *os.File // the pipe read, when it is one: it grows with size
	free    chan []byte
	nbuf    int           // buffers allocated so far, at most cap(free)
	out     []byte        // batch being filled by the copying path; nil if none
	lines   *atomic.Int64 // the stream's records, shared by its captures
	watch   *lineLook     // CaptureWatched: lines shown to a LineWatch
}

// defaultPipe is the size of a new pipe's buffer (Linux): a capture grows
// it only past that.
const defaultPipe = 64 << 10

// startBuffer is the size of a capture's first buffers.
const startBuffer = 4 << 10

func newCapture(l *Log, stream string) *capture {
	const nbuf = 3 // one being filled, one at the writer, one spare
	c := &capture{
		l:       l,
		pre:     newPrefixer(stream, !l.opts.NoTimestamps, !l.opts.NoStreamNames),
		maxLine: l.opts.MaxLine,
		size:    min(startBuffer, l.bufSize()),
		maxSize: l.bufSize(),
		free:    make(chan []byte, nbuf),
		lines:   l.streamCounter(stream),
	}
	return c
}

// grow doubles the size of the buffers to come (and of the pipe), and
// returns rb grown to it, with its first n bytes.
func (c *capture) grow(rb []byte, n int) []byte {
	if c.size >= c.maxSize {
		return rb
	}
	c.size = min(2*c.size, c.maxSize)
	if c.pipe != nil && c.size > defaultPipe {
		growPipe(c.pipe, c.size)
	}
	bigger := make([]byte, c.size)
	copy(bigger, rb[:n])
	return bigger
}

func (c *capture) run(r io.Reader) error {
	if f, ok := r.(*os.File); ok {
		c.pipe = f // grown with the buffers, from the kernel's 64 KiB (see grow)
	}
	raw := c.pre.raw()
	var rb []byte
	if raw {
		// Raw records are the input bytes: whole lines are shipped straight
		// from the read buffer, without a copy.
		if rb = c.get(); rb == nil {
			return ErrClosed
		}
	} else {
		rb = make([]byte, c.size)
	}
	// Reads may return up to a whole buffer; the kernel pipe is enlarged
	// to match so the child can run ahead by that much.
	rb = rb[:cap(rb)]
	n := 0 // bytes in rb
	// A pipe that can time out (the poller's) lets a silent capture give
	// its buffers back (idle).
	quiet := c.pipe != nil && c.pipe.SetReadDeadline(time.Time{}) == nil
	for {
		if quiet && n == 0 {
			c.pipe.SetReadDeadline(time.Now().Add(c.idleAfter()))
		}
		m, rerr := r.Read(rb[n:])
		if quiet && n == 0 {
			c.pipe.SetReadDeadline(time.Time{})
			if m == 0 && errors.Is(rerr, os.ErrDeadlineExceeded) {
				rb, m, rerr = c.idle(raw)
			}
		}
		if c.watch != nil && (m > 0 || rerr != nil) {
			c.watch.look(rb[n:n+m], rerr != nil)
		}
		n += m
		if n == len(rb) && rerr == nil {
			// A full read: more may be waiting, or a line is longer
			// than the buffer.
			rb = c.grow(rb, n)
		}
		if m > 0 {
			c.pre.update(c.l.now())
		}
		eof := rerr != nil
		var err error
		if raw {
			rb, n, err = c.frameRaw(rb, n, eof)
		} else {
			var used int
			used, err = c.frame(rb[:n], eof)
			n = copy(rb, rb[used:n])
		}
		if err == nil {
			err = c.flush()
		}
		if err != nil {
			return err
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// idleAfter is how long a capture's pipe stays silent before the capture
// gives its buffers back: a daemon that writes nothing costs no buffer.
const idleAfter = 2 * time.Second

func (c *capture) idleAfter() time.Duration {
	if d := c.l.opts.idleAfter; d > 0 {
		return d
	}
	return idleAfter
}

// idle gives the capture's buffers back (the read buffer, and spares the
// writer returned) and waits for the next byte, holding none. It returns
// a new read buffer that holds that byte (m 1), or the read's error.
func (c *capture) idle(raw bool) (rb []byte, m int, err error) {
	if c.l.opts.idled != nil {
		c.l.opts.idled()
	}
	if raw {
		c.nbuf-- // the read buffer was one of the circulating ones
	}
	for {
		select {
		case <-c.free:
			c.nbuf--
			continue
		default:
		}
		break
	}
	var one [1]byte
	if m, err = c.pipe.Read(one[:]); m == 0 {
		return nil, 0, err
	}
	if raw {
		if rb = c.get(); rb == nil {
			return nil, 0, ErrClosed
		}
	} else {
		rb = make([]byte, c.size)
	}
	rb = rb[:cap(rb)]
	rb[0] = one[0]
	return rb, 1, err
}

// frameRaw ships the leading whole lines of rb[:n] as they are and returns
// the buffer that now holds the rest.
func (c *capture) frameRaw(rb []byte, n int, eof bool) ([]byte, int, error) {
	data := rb[:n]
	end := wholeLines(data, c.maxLine)
	if end > 0 {
		next := c.get()
		if next == nil {
			return rb, n, ErrClosed
		}
		next = next[:cap(next)]
		k := copy(next, data[end:])
		if err := c.ship(data[:end]); err != nil {
			return rb, n, err
		}
		rb, n, data = next, k, next[:k]
	}
	if len(data) > c.maxLine || (eof && len(data) > 0) {
		used, err := c.frame(data, eof)
		n = copy(rb, data[used:])
		return rb, n, err
	}
	return rb, n, nil
}

// frame appends records for the lines at the start of data to c.out,
// shipping full batches, and returns how many bytes of data it consumed.
// A line longer than maxLine gives a continued record of maxLine bytes; at
// EOF an unterminated last line gets a newline.
func (c *capture) frame(data []byte, eof bool) (int, error) {
	used := 0
	for used < len(data) {
		if n := c.frameWhole(data[used:]); n > 0 {
			used += n
			continue
		}
		p := data[used:]
		var line, pre []byte
		if i := bytes.IndexByte(p[:min(len(p), c.maxLine+1)], '\n'); i >= 0 {
			line, pre = p[:i+1], c.pre.whole
		} else if len(p) > c.maxLine {
			line, pre = p[:c.maxLine], c.pre.cont
			c.l.update(func(s *Stats) { s.Split++ })
		} else if eof {
			line, pre = p, c.pre.whole
		} else {
			break
		}
		if c.out == nil || len(c.out)+len(pre)+len(line)+1 > cap(c.out) {
			if err := c.flush(); err != nil {
				return used, err
			}
			if c.out = c.get(); c.out == nil {
				return used, ErrClosed
			}
		}
		c.out = append(c.out, pre...)
		c.out = append(c.out, line...)
		if line[len(line)-1] != '\n' {
			c.out = append(c.out, '\n')
		}
		used += len(line)
	}
	return used, nil
}

// frameWhole is frame's common case, a run of whole lines that are not too
// long, in a loop without append: it appends records for as many of the
// lines at the start of data as fit in the batch being filled, and returns
// how many bytes of data they took (0 when the first line does not fit, or
// is not whole: frame's general case takes it).
func (c *capture) frameWhole(data []byte) int {
	out := c.out
	if out == nil {
		return 0
	}
	pre := c.pre.whole
	dst := out[len(out):cap(out)]
	o, used := 0, 0
	for used < len(data) {
		p := data[used:]
		i := bytes.IndexByte(p[:min(len(p), c.maxLine+1)], '\n')
		if i < 0 || o+len(pre)+i+1 > len(dst) {
			break
		}
		o += copy(dst[o:], pre)
		o += copy(dst[o:], p[:i+1])
		used += i + 1
	}
	c.out = out[:len(out)+o]
	return used
}

// flush ships the batch being filled, if any.
func (c *capture) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	b := c.out
	c.out = nil
	return c.ship(b)
}

// ship hands whole records to the writer, waiting while it is busy, and
// counts them.
func (c *capture) ship(b []byte) error {
	c.lines.Add(int64(bytes.Count(b, []byte{'\n'})))
	select {
	case c.l.in <- batch{buf: b, free: c.free}:
		return nil
	case <-c.l.quit:
		return ErrClosed
	}
}

// get returns a free buffer, allocating up to cap(free) of them (a slow
// child never needs more than one), else waiting for the writer to hand
// one back; nil means the Log was closed.
func (c *capture) get() []byte {
	select {
	case b := <-c.free:
		return c.fit(b)
	default:
	}
	if c.nbuf < cap(c.free) {
		c.nbuf++
		return make([]byte, 0, c.size)
	}
	select {
	case b := <-c.free:
		return c.fit(b)
	case <-c.l.quit:
		return nil
	}
}

// fit returns a free buffer, or a new one of the current size in place
// of one smaller than that (the buffers grew meanwhile).
func (c *capture) fit(b []byte) []byte {
	if cap(b) < c.size {
		return make([]byte, 0, c.size)
	}
	return b[:0]
}

// wholeLines returns the length of the longest prefix of data that is whole
// lines of at most maxLine bytes before their newline. It looks at the
// bytes before the last newline of each maxLine+1 window, not at every
// line: a line can only be too long where a whole window has no newline.
func wholeLines(data []byte, maxLine int) int {
	end := 0
	for end < len(data) {
		i := bytes.LastIndexByte(data[end:min(len(data), end+maxLine+1)], '\n')
		if i < 0 {
			break
		}
		end += i + 1
	}
	return end
}
