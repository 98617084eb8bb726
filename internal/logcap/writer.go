package logcap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// writer is the single goroutine that writes, rotates and recovers. All its
// fields belong to that goroutine.
type writer struct {
	l *Log
	f *rfile

	// noRotateBelow suppresses size rotation after a failed rotation until
	// the file has grown by another MaxSize, so a failing rename is not
	// retried (and reported) for every batch.
	noRotateBelow int64

	// Failure state; failErr != nil means degraded.
	failErr   error
	failSince time.Time
	held      []byte // records waiting for a retry, oldest first
	dropping  bool   // something was dropped: drop everything until recovery
	lostLines int64  // dropped in this failure window
	lostBytes int64
	midRecord bool // the file ends with the start of held's first record
	// freed: the log was rotated once in this failure window to free
	// space (the oldest rotated file goes) before the held records.
	freed   bool
	backoff time.Duration
	timer   *time.Timer
	timerC  <-chan time.Time

	closeErr error
}

func (w *writer) run() {
	defer close(w.l.done)
	for {
		select {
		case b := <-w.l.in:
			w.accept(b.buf)
			b.free <- b.buf[:0]
		case req := <-w.l.ctl:
			req.reply <- w.control(req.op)
		case <-w.timerC:
			w.timerC = nil
			w.retry()
		case <-w.l.quit:
			w.finish()
			return
		}
	}
}

// accept writes a batch, or holds it while degraded. Writes are not tried
// while degraded: only the retry timer (or Rotate/Reopen) tries again.
func (w *writer) accept(p []byte) {
	if w.failErr != nil {
		w.hold(p)
		return
	}
	if rest, err := w.write(p); err != nil {
		w.fail(err)
		w.hold(rest)
	}
}

// write writes whole records, rotating by size between records. On error it
// returns the records not written (rest may begin mid-record if a torn write
// could not be cut off; see midRecord).
func (w *writer) write(p []byte) (rest []byte, err error) {
	if err := w.checkFile(); err != nil {
		return p, err
	}
	for len(p) > 0 {
		chunk := p
		ms := w.l.opts.MaxSize
		if ms > 0 && w.f.size+int64(len(p)) > ms && w.f.size >= w.noRotateBelow {
			// Fill the file up to MaxSize with whole records, then rotate.
			cut := 0
			if room := ms - w.f.size; room > 0 {
				cut = bytes.LastIndexByte(p[:min(room, int64(len(p)))], '\n') + 1
			}
			if cut == 0 && w.f.size > 0 {
				if err := w.rotate(); err != nil {
					if w.f.f == nil {
						return p, err
					}
					w.noRotateBelow = w.f.size + ms
				}
				continue
			}
			if cut == 0 { // one record longer than MaxSize: it gets a file alone
				if cut = bytes.IndexByte(p, '\n') + 1; cut == 0 {
					cut = len(p)
				}
			}
			chunk = p[:cut]
		}
		n, err := w.writeFile(chunk)
		if err != nil {
			return p[n:], err
		}
		p = p[n:]
	}
	return nil, nil
}

// checkFile reopens the path if our file was deleted under us (writes to it
// would vanish), or opens it if an earlier open failed.
func (w *writer) checkFile() error {
	if w.f.f != nil {
		st, err := w.f.f.Stat()
		if err != nil {
			return err
		}
		if !isRemoved(st) {
			return nil
		}
		w.f.closeFile()
		w.midRecord = false
	}
	if err := w.f.open(); err != nil {
		return err
	}
	w.l.emit(Event{Kind: EventReopened, Time: w.l.now(), Path: w.f.path})
	return nil
}

// writeFile writes p with one write(2) (the kernel may split it). It returns
// how many bytes of p are in the file. A failed write can leave part of a
// record in the file; that part is cut off again (ftruncate to the last
// record boundary) so the file never holds a torn line and the whole record
// is retried. If cutting fails, the retry completes the record in place.
func (w *writer) writeFile(p []byte) (int, error) {
	n, err := w.f.f.Write(p)
	if err != nil {
		whole := bytes.LastIndexByte(p[:n], '\n') + 1
		if w.midRecord && whole == 0 {
			whole = n // completing an earlier record: nothing to cut
		}
		if torn := int64(n - whole); torn > 0 {
			if st, serr := w.f.f.Stat(); serr == nil && st.Size() >= torn && w.f.f.Truncate(st.Size()-torn) == nil {
				n = whole
			}
		}
		w.midRecord = n > 0 && p[n-1] != '\n'
		err = wrapPath("write", w.f.path, err)
	} else {
		w.midRecord = false
	}
	w.f.size += int64(n)
	lines := int64(bytes.Count(p[:n], []byte{'\n'}))
	w.l.update(func(s *Stats) { s.Lines += lines; s.Bytes += int64(n) })
	return n, err
}

// hold keeps records for a retry, up to MaxHeld bytes. Once a record does
// not fit, it and every later record of this failure window are dropped and
// counted, so that what is held stays one gap-free run.
func (w *writer) hold(p []byte) {
	if len(p) == 0 {
		return
	}
	if !w.dropping && len(w.held)+len(p) <= w.l.opts.MaxHeld {
		w.held = append(w.held, p...)
		held := int64(len(w.held))
		w.l.update(func(s *Stats) { s.HeldBytes = held })
		return
	}
	w.dropping = true
	lines, n := int64(bytes.Count(p, []byte{'\n'})), int64(len(p))
	w.lostLines += lines
	w.lostBytes += n
	w.l.update(func(s *Stats) { s.LostLines += lines; s.LostBytes += n })
}

// fail enters (or stays in) the degraded state and arms the retry timer:
// Retry after the first failure, doubling after each failed retry up to
// maxRetry.
func (w *writer) fail(err error) {
	first := w.failErr == nil
	if first {
		w.failSince = w.l.now()
		w.backoff = w.l.opts.Retry
	} else {
		w.backoff = min(2*w.backoff, maxRetry)
	}
	w.failErr = err
	since := w.failSince
	w.l.update(func(s *Stats) { s.Err, s.Since = err, since })
	if first {
		// After the update: a handler that reads Stats (the supervisor
		// writing its status record) must see the error it is told of.
		w.l.emit(Event{Kind: EventWriteFailed, Time: since, Path: w.f.path, Err: err})
	}
	if w.timer == nil {
		w.timer = time.NewTimer(w.backoff)
	} else {
		w.timer.Reset(w.backoff)
	}
	w.timerC = w.timer.C
}

// retry writes the held records, then the loss marker, and if both succeed
// leaves the degraded state. On a full disk it first rotates, once per
// failure window, so that the oldest rotated file makes room for them.
func (w *writer) retry() {
	if w.failErr == nil {
		return
	}
	if !w.freed && isNoSpace(w.failErr) && w.l.opts.MaxSize > 0 && w.f.f != nil && w.f.size > 0 {
		w.freed = true
		if err := w.rotate(); err != nil && w.f.f == nil {
			return // degraded anew: the timer tries again
		}
	}
	rest, err := w.write(w.held)
	w.held = rest
	held := int64(len(rest))
	w.l.update(func(s *Stats) { s.HeldBytes = held })
	if err == nil {
		rest, err = w.write(w.marker())
		if len(rest) > 0 && w.midRecord { // never leave half a marker waiting
			w.held = append(w.held, rest...)
		}
	}
	if err != nil {
		w.fail(err)
		return
	}
	ev := Event{Kind: EventRecovered, Time: w.l.now(), Path: w.f.path, Err: w.failErr, Lines: w.lostLines, Bytes: w.lostBytes}
	w.failErr, w.failSince, w.held, w.dropping, w.lostLines, w.lostBytes, w.freed = nil, time.Time{}, nil, false, 0, 0, false
	if w.timer != nil {
		w.timer.Stop()
		w.timerC = nil
	}
	w.l.update(func(s *Stats) { s.Err, s.Since, s.HeldBytes = nil, time.Time{}, 0 })
	w.l.emit(ev)
}

// marker is the record written after a failure window, always with a
// timestamp and the stream name "logcap" whatever the options.
func (w *writer) marker() []byte {
	var st stamper
	now := w.l.now()
	b := append(st.format(now), " "+Marker+" "...)
	b = fmt.Appendf(b, "lost %d lines (%d bytes) while writes failed from %s to %s: %v\n",
		w.lostLines, w.lostBytes, w.failSince.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano), w.failErr)
	return b
}

func (w *writer) control(op ctlOp) error {
	var err error
	switch op {
	case opRotate:
		if w.f.f != nil && w.f.size == 0 {
			break // nothing to rotate
		}
		err = w.rotate()
	case opReopen:
		w.leaveFile()
		if err = w.f.reopen(); err != nil {
			w.fail(err)
		} else {
			w.l.emit(Event{Kind: EventReopened, Time: w.l.now(), Path: w.f.path})
		}
	}
	if w.failErr != nil && w.f.f != nil {
		w.retry() // the condition may have cleared: try at once
	}
	return err
}

// rotate rotates the file. If the new file cannot be opened the log is
// degraded (f.f == nil) and the open is retried by the timer.
func (w *writer) rotate() error {
	w.leaveFile()
	name, err := w.f.rotate()
	if name != "" {
		w.noRotateBelow = 0
		w.l.update(func(s *Stats) { s.Rotations++ })
		w.l.emit(Event{Kind: EventRotated, Time: w.l.now(), Path: name})
	}
	if err != nil {
		if w.f.f == nil {
			w.fail(err)
		} else {
			w.l.emit(Event{Kind: EventRotateFailed, Time: w.l.now(), Path: w.f.path, Err: err})
		}
	}
	return err
}

// leaveFile runs before switching files. If the current file ends with the
// start of a held record (a torn write that could not be cut off), the rest
// of that record must not start the next file: it is dropped and counted.
func (w *writer) leaveFile() {
	if !w.midRecord {
		return
	}
	w.midRecord = false
	i := bytes.IndexByte(w.held, '\n')
	if i < 0 {
		return
	}
	n := int64(i + 1)
	w.held = w.held[i+1:]
	w.lostLines++
	w.lostBytes += n
	w.l.update(func(s *Stats) { s.LostLines++; s.LostBytes += n; s.HeldBytes -= n })
}

// finish runs at Close: one last try if degraded, then close the file.
func (w *writer) finish() {
	if w.failErr != nil {
		w.retry()
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.failErr != nil {
		w.closeErr = fmt.Errorf("logcap: close %s: %d bytes held and %d lines lost: %w",
			w.f.path, len(w.held), w.lostLines, w.failErr)
	}
	if err := w.f.stop(); err != nil && w.closeErr == nil {
		w.closeErr = wrapPath("close", w.f.path, err)
	}
}

// isNoSpace reports whether err says the disk or the quota is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// isRemoved reports whether an open file has no name left.
func isRemoved(st os.FileInfo) bool { return nlink(st) == 0 }
