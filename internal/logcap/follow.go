package logcap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

// pollInterval is how often Follow looks for new data and rotations.
const pollInterval = 50 * time.Millisecond

// Follow writes to w the last n lines matching f (as Tail; none if n is 0,
// all if n < 0) and then each new matching line as it is written, until ctx
// is done (it then writes what the log holds at that moment and returns
// nil) or writing to w fails. It polls every 50 ms.
//
// Follow survives rotation without missing or repeating a line: when the
// path names a different file, it reads the old file to its end, then any
// rotated files that came after it, then the new file. It recognises its
// old file among the rotated ones by inode (logcap compresses the newest
// rotated file only at the next rotation, so the inode is still there), and
// after an external rename with Reopen it switches once the new file has
// data, that is once the writer has stopped writing to the old one.
// If more than one rotation happens within a poll and compression or
// pruning already removed the old file, a file's place is inferred from
// rotated names and the time Follow opened it. Files rotated by an
// external logrotate (output.log.1, output.log-20261201, see Tail) are
// found by inode, and are treated as an external rename: Follow switches
// to the new file once it has data. (If logrotate rotated twice within one
// poll and compressed the file Follow was reading, the file rotated in
// between cannot be placed and is skipped; logrotate runs far less often.)
func Follow(ctx context.Context, path string, n int, w io.Writer, f Filter) error {
	fw := &follower{path: path, f: f, w: bufio.NewWriterSize(w, 64<<10)}
	defer fw.close()
	if err := fw.start(n); err != nil {
		return err
	}
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if err := fw.catchUp(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			// What was written before the end is delivered too.
			return fw.catchUp()
		case <-t.C:
		}
	}
}

// catchUp writes what the log holds now, following a rotation.
func (fw *follower) catchUp() error {
	if err := fw.drain(); err != nil {
		return err
	}
	if err := fw.checkRotation(); err != nil {
		return err
	}
	return fw.w.Flush()
}

type follower struct {
	path string
	f    Filter
	w    *bufio.Writer

	cur     *os.File    // file being read; nil until the path exists
	curStat os.FileInfo // its identity
	curName string      // its rotated name, once known
	opened  time.Time   // when cur was opened at path
	partial []byte      // a record not yet complete at the end of cur
	buf     []byte
}

// start opens the current file and writes the last n lines before its
// present end, then leaves cur positioned there.
func (fw *follower) start(n int) error {
	cur, err := openRead(fw.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // wait for it to appear
	}
	if err != nil {
		return err
	}
	st, err := cur.Stat()
	if err != nil {
		cur.Close()
		return err
	}
	fw.cur, fw.curStat, fw.opened = cur, st, time.Now()
	if n == 0 {
		_, err := cur.Seek(st.Size(), io.SeekStart)
		return err
	}
	need := max(n, 0)
	lines, partial, err := tailReader(io.NewSectionReader(cur, 0, st.Size()), need, fw.f, false)
	if err != nil {
		return err
	}
	fw.partial = partial
	if _, err := cur.Seek(st.Size(), io.SeekStart); err != nil {
		return err
	}
	// Older lines from rotated files, up to (not including) cur if it was
	// rotated meanwhile.
	var older [][]string
	if need == 0 || len(lines) < need {
		ents, _ := listHistory(fw.path)
		if i := fw.locate(ents); i >= 0 {
			ents = ents[:i]
		}
		have := len(lines)
		for i := len(ents) - 1; i >= 0 && (need == 0 || have < need); i-- {
			more := 0
			if need > 0 {
				more = need - have
			}
			ls, _, err := tailFile(ents[i].stem, more, fw.f)
			if err != nil {
				continue
			}
			older = append(older, ls)
			have += len(ls)
		}
	}
	for i := len(older) - 1; i >= 0; i-- {
		for _, l := range older[i] {
			fw.w.WriteString(l + "\n")
		}
	}
	for _, l := range lines {
		fw.w.WriteString(l + "\n")
	}
	return nil
}

// drain reads cur to its present end, writing complete matching lines.
func (fw *follower) drain() error {
	if fw.cur == nil {
		return nil
	}
	if fw.buf == nil {
		fw.buf = make([]byte, 256<<10)
	}
	for {
		m, err := fw.cur.Read(fw.buf)
		if m > 0 {
			fw.consume(fw.buf[:m])
		}
		if err == io.EOF || m == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (fw *follower) consume(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			fw.partial = append(fw.partial, p...)
			return
		}
		line := p[:i+1]
		if len(fw.partial) > 0 {
			line = append(fw.partial, line...)
			fw.partial = fw.partial[:0]
		}
		fw.emit(line)
		p = p[i+1:]
	}
}

func (fw *follower) emit(line []byte) {
	if fw.f.match(line) {
		fw.w.Write(line)
	}
}

// finishCur reads cur to its end and closes it; a last unterminated line
// is written with a newline.
func (fw *follower) finishCur() error {
	if fw.cur == nil {
		return nil
	}
	err := fw.drain()
	if len(fw.partial) > 0 {
		fw.emit(append(fw.partial, '\n'))
		fw.partial = fw.partial[:0]
	}
	fw.cur.Close()
	fw.cur = nil
	return err
}

func (fw *follower) close() {
	fw.w.Flush()
	if fw.cur != nil {
		fw.cur.Close()
	}
}

// locate returns the index among ents of the file last read (cur, or the
// rotated file read last), or -1.
func (fw *follower) locate(ents []rotEntry) int {
	if fw.curName != "" {
		for i, e := range ents {
			if e.stem == fw.curName {
				return i
			}
		}
		return -1
	}
	if fw.curStat == nil {
		return -1
	}
	for i, e := range ents {
		if e.plain && sameFile(e.stem, fw.curStat) || e.gz && sameFile(e.stem+gzSuffix, fw.curStat) {
			return i
		}
	}
	// Compressed or pruned already: cur was rotated by logcap after we
	// opened it, so its name is the first of logcap's stamped later than
	// that. (logrotate's names say nothing of when they were made.)
	opened := fw.opened.UTC().Truncate(time.Microsecond)
	for i, e := range ents {
		if e.own() && e.t.After(opened) {
			return i
		}
	}
	return -1
}

// sameFile reports whether name is the file st describes.
func sameFile(name string, st os.FileInfo) bool {
	at, err := os.Lstat(name)
	return err == nil && os.SameFile(at, st)
}

// checkRotation moves on to the next file if the path no longer names cur.
func (fw *follower) checkRotation() error {
	if fw.cur != nil {
		st, err := os.Stat(fw.path)
		if err == nil && os.SameFile(st, fw.curStat) {
			return nil
		}
	}
	for {
		ents, err := listHistory(fw.path)
		if err != nil {
			return nil // the directory may come back
		}
		idx := fw.locate(ents)
		if idx >= 0 && idx+1 < len(ents) {
			// The successor was rotated too, so it is complete; unless
			// it is still the file at the path, caught by a rotation
			// between its two steps (the rotated name made, the new file
			// not yet renamed over the path): then it is read as the
			// current file once the rotation is done.
			if next := ents[idx+1]; next.plain {
				if at, err := os.Lstat(fw.path); err == nil && sameFile(next.stem, at) {
					return nil
				}
			}
			if err := fw.finishCur(); err != nil {
				return err
			}
			if err := fw.readRotated(ents[idx+1]); err != nil {
				return err
			}
			continue
		}
		nf, err := openRead(fw.path)
		if err != nil {
			return nil // not there yet
		}
		nst, err := nf.Stat()
		if err != nil || (fw.cur != nil && os.SameFile(nst, fw.curStat)) {
			nf.Close()
			return err
		}
		// Renamed away by someone else (an external logrotate): the
		// writer may still append to cur until it reopens. It has once
		// the new file has data. logcap's own rotation switches files
		// before it writes again.
		external := idx < 0 || !ents[idx].own()
		if external && fw.cur != nil && nst.Size() == 0 {
			nf.Close()
			return nil
		}
		if idx >= 0 && fw.missed(ents[idx].stem, nst) {
			nf.Close() // another rotation happened since we listed
			continue
		}
		if err := fw.finishCur(); err != nil {
			nf.Close()
			return err
		}
		fw.cur, fw.curStat, fw.curName, fw.opened = nf, nst, "", time.Now()
		return nil
	}
}

// missed reports whether a file was rotated after stem that is not nf.
func (fw *follower) missed(stem string, nst os.FileInfo) bool {
	ents, err := listHistory(fw.path)
	if err != nil {
		return false
	}
	for i, e := range ents {
		if e.stem != stem {
			continue
		}
		if i+1 == len(ents) {
			return false
		}
		next := ents[i+1]
		st, err := os.Lstat(next.stem)
		return !(next.plain && err == nil && os.SameFile(st, nst))
	}
	return false
}

// readRotated makes e the current file (plain) or writes it all (gzip).
func (fw *follower) readRotated(e rotEntry) error {
	fw.curName = ""
	if e.own() {
		fw.curName = e.stem // logrotate's numbered names shift: find those by inode
	}
	if f, err := openRead(e.stem); err == nil {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		fw.cur, fw.curStat = f, st
		return fw.finishCur()
	}
	f, err := openRead(e.stem + gzSuffix)
	if err != nil {
		return nil // pruned: nothing to read
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	fw.curStat = st // so that locate finds it next
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return nil // not gzip after all: nothing to read, as before
	}
	defer zr.Close()
	return eachLine(zr, func(line []byte, complete bool) {
		if !complete {
			line = append(line, '\n')
		}
		fw.emit(line)
	})
}
