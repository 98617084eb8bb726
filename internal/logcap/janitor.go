package logcap

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// janitor compresses rotated files in the background, so the writer
// never waits for gzip. Deleting rotated files is the writer's (rfile's
// prune), done before each rotation so that a kill never leaves more than
// MaxFiles; the two never race because every step that deletes or renames
// a rotated file into place holds mu, and compression checks under it that
// its source still exists.
type janitor struct {
	path     string
	compress bool
	now      func() time.Time
	onEvent  func(Event)
	step     func(point string) // test hook; see rfile.step
	kickc    chan struct{}
	done     chan struct{}

	mu sync.Mutex // held while a rotated file is deleted or renamed into place
}

func newJanitor(path string, compress bool, now func() time.Time, onEvent func(Event)) *janitor {
	return &janitor{path: path, compress: compress, now: now, onEvent: onEvent,
		step: func(string) {}, kickc: make(chan struct{}, 1), done: make(chan struct{})}
}

// start starts the background goroutine and asks it for a pass, to finish
// work an earlier run left behind.
//
// Only compression is done in the background: without it there is no
// goroutine at all (a host runs a log per daemon).
func (j *janitor) start() {
	if !j.compress {
		close(j.done)
		return
	}
	go j.run()
	j.kick()
}

// kick asks for a pass; it never blocks.
func (j *janitor) kick() {
	if !j.compress {
		return
	}
	select {
	case j.kickc <- struct{}{}:
	default:
	}
}

func (j *janitor) stop() {
	close(j.kickc)
	<-j.done
}

func (j *janitor) run() {
	defer close(j.done)
	for range j.kickc {
		j.pass()
	}
}

// remove deletes a rotated file, plain and compressed.
func (j *janitor) remove(e rotEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	os.Remove(e.stem)
	os.Remove(e.stem + gzSuffix)
}

func (j *janitor) pass() {
	if !j.compress {
		return
	}
	ents, err := listRotated(j.path)
	if err != nil || len(ents) == 0 {
		return
	}
	// The newest rotated file stays plain until the next rotation (like
	// logrotate's delaycompress): a follower that held the file open can
	// still find it by inode and learn its place in the sequence.
	for _, e := range ents[:len(ents)-1] {
		switch {
		case e.plain && e.gz:
			j.mu.Lock()
			os.Remove(e.stem) // the .gz is only renamed into place when complete
			j.mu.Unlock()
		case e.plain:
			if err := j.gzipFile(e.stem); err != nil && j.onEvent != nil {
				j.onEvent(Event{Kind: EventCompressFailed, Time: j.now(), Path: e.stem, Err: err})
			}
		}
	}
}

// gzipFile writes src.gz via a temporary file, syncs it, renames it into
// place and only then removes src: at every moment one complete copy
// exists. The .gz keeps src's modification time, the time of its last
// line, by which readers order it among other rotated files. If src was
// pruned meanwhile, the copy is dropped.
func (j *janitor) gzipFile(src string) (err error) {
	in, err := os.OpenFile(src, os.O_RDONLY|openNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // pruned since it was listed
	}
	if err != nil {
		return fmt.Errorf("logcap: compress %s: %w", src, err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fmt.Errorf("logcap: compress %s: %w", src, err)
	}
	tmp := src + gzSuffix + tmpSuffix
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openNoFollow, st.Mode().Perm())
	if err != nil {
		return fmt.Errorf("logcap: compress %s: %w", src, err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
			err = fmt.Errorf("logcap: compress %s: %w", src, err)
		}
	}()
	zw := gzip.NewWriter(out)
	zw.Name = filepath.Base(src)
	zw.ModTime = st.ModTime()
	if _, err = io.Copy(zw, in); err != nil {
		return err
	}
	if err = zw.Close(); err != nil {
		return err
	}
	if err = out.Sync(); err != nil {
		return err
	}
	if err = out.Close(); err != nil {
		return err
	}
	if err = os.Chtimes(tmp, time.Time{}, st.ModTime()); err != nil {
		return err
	}
	j.step("compress-written")
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, serr := os.Lstat(src); serr != nil {
		os.Remove(tmp) // pruned while we compressed
		return nil
	}
	if err = os.Rename(tmp, src+gzSuffix); err != nil {
		return err
	}
	j.step("compress-renamed")
	return os.Remove(src)
}

// removeTemps deletes half-written .gz.tmp files from an interrupted run.
func (j *janitor) removeTemps() {
	dir, base := filepath.Split(j.path)
	if dir == "" {
		dir = "."
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		n := de.Name()
		if strings.HasPrefix(n, base+".") && strings.HasSuffix(n, gzSuffix+tmpSuffix) {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
