package logcap

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by methods called after Close, and by a Capture that
// was still running when Close was called.
var ErrClosed = errors.New("logcap: log closed")

// batch is a run of whole records from one Capture. The writer hands buf
// back on free once it no longer needs it.
type batch struct {
	buf  []byte
	free chan []byte
}

type ctlOp int

const (
	opRotate ctlOp = iota
	opReopen
)

type ctlReq struct {
	op    ctlOp
	reply chan error
}

// Log captures streams into one rotated log file. Its methods are safe for
// concurrent use; any number of Captures may run at once, and all records
// pass through a single writer goroutine, so records never interleave.
type Log struct {
	opts Options

	in   chan batch // unbuffered: a Capture waits here while the writer is busy
	ctl  chan ctlReq
	quit chan struct{}
	done chan struct{}
	once sync.Once

	evMu sync.Mutex // serialises OnEvent calls

	mu sync.Mutex // guards st and streams
	st Stats
	// streams counts the records each stream's captures framed, by the
	// stream name given to Capture (see StreamLines).
	streams map[string]*atomic.Int64

	w writer // owned by the writer goroutine
}

// Open opens (creating if needed, never truncating) the log file and starts
// the writer. See Options for the defaults. Before it opens the file, it
// finishes or undoes what a process killed while rotating or compressing
// left behind (see the package doc, "Rotation"), and deletes the oldest
// rotated files beyond MaxFiles, so that once Open returns there is a file
// at the path, no temporary file, and at most MaxFiles rotated files.
func Open(opts Options) (*Log, error) {
	if opts.Path == "" {
		return nil, errors.New("logcap: open: empty path")
	}
	opts = opts.withDefaults()
	l := &Log{
		opts: opts,
		in:   make(chan batch),
		ctl:  make(chan ctlReq),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	l.w.l = l
	l.w.f = newRFile(opts.Path, opts.Perm, opts.MaxFiles, opts.Compress, opts.Now, l.emit, opts.crashAt)
	if err := l.w.f.open(); err != nil {
		l.w.f.stop()
		return nil, err
	}
	go l.w.run()
	return l, nil
}

// emit passes ev to OnEvent, one call at a time.
func (l *Log) emit(ev Event) {
	if l.opts.OnEvent == nil {
		return
	}
	l.evMu.Lock()
	defer l.evMu.Unlock()
	l.opts.OnEvent(ev)
}

// bufSize is the size of each read and batch buffer: large enough for many
// lines per read(2) and write(2), and for one full record.
func (l *Log) bufSize() int {
	return max(1<<20, 2*(l.opts.MaxLine+stampLen+64))
}

// Capture reads r until EOF and writes its lines as records of the named
// stream (normally Stdout or Stderr). It returns nil at EOF, the read error
// otherwise, or ErrClosed if the Log was closed first; in every case the
// lines read so far have been handed to the writer. It reads only as fast as
// the writer takes the records, so a child that writes faster than the disk
// blocks on its full pipe; while the file cannot be written at all, Capture
// keeps reading (see the package doc, "Write failures").
func (l *Log) Capture(stream string, r io.Reader) error {
	c := newCapture(l, stream)
	return c.run(r)
}

// Rotate rotates the log now, between two records: the current file gets
// a rotated name and a new file is opened at the path. An empty file is not
// rotated. While the log is degraded, Rotate also retries writing at once.
func (l *Log) Rotate() error { return l.control(opRotate) }

// Reopen closes the file and opens the path again, for an external log
// rotator that renamed the file away (logrotate without copytruncate, with
// a postrotate line such as "tend signal NAME HUP" that ends in Reopen).
// Records before the call went to the old file, later ones go to the new.
func (l *Log) Reopen() error { return l.control(opReopen) }

func (l *Log) control(op ctlOp) error {
	req := ctlReq{op: op, reply: make(chan error, 1)}
	select {
	case l.ctl <- req:
		return <-req.reply
	case <-l.quit:
		return ErrClosed
	}
}

// Stats returns a snapshot of the counters and the current health.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// StreamLines returns how many records each stream's captures have framed
// so far (the lines read from it, split lines counted per record), by the
// stream name given to Capture ("stdout", "stderr.2"). Records that were
// then lost, because the file could not be written, are counted here too,
// and in Stats.LostLines.
func (l *Log) StreamLines() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(l.streams))
	for name, n := range l.streams {
		out[name] = n.Load()
	}
	return out
}

// streamCounter returns the counter of stream's records, made at its
// first Capture.
func (l *Log) streamCounter(stream string) *atomic.Int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.streams == nil {
		l.streams = map[string]*atomic.Int64{}
	}
	n := l.streams[stream]
	if n == nil {
		n = new(atomic.Int64)
		l.streams[stream] = n
	}
	return n
}

// Close stops the writer after the records it already received, makes one
// last attempt to write held records (and the loss marker) if the log is
// degraded, and closes the file. Call it after every Capture has returned: a
// Capture still running returns ErrClosed and what it has not handed over is
// not written. Close returns an error if records could not be written;
// a second Close returns ErrClosed.
func (l *Log) Close() error {
	first := false
	l.once.Do(func() { close(l.quit); first = true })
	<-l.done
	if !first {
		return ErrClosed
	}
	return l.w.closeErr
}

// update changes the stats under the lock.
func (l *Log) update(f func(*Stats)) {
	l.mu.Lock()
	f(&l.st)
	l.mu.Unlock()
}

func (l *Log) now() time.Time { return l.opts.Now() }

func wrapPath(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("logcap: %s %s: %w", op, path, err)
}
