package logcap

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// janitor deletes rotated files beyond MaxFiles and compresses rotated
// files, in the background so the writer never waits for gzip. It is the
// only code that deletes or compresses rotated files, so those steps never
// race each other; the writer only ever creates new rotated names.
type janitor struct {
	path     string
	maxFiles int
	compress bool
	now      func() time.Time
	onEvent  func(Event)
	kickc    chan struct{}
	done     chan struct{}
}

func startJanitor(path string, maxFiles int, compress bool, now func() time.Time, onEvent func(Event)) *janitor {
	j := &janitor{path: path, maxFiles: maxFiles, compress: compress, now: now, onEvent: onEvent,
		kickc: make(chan struct{}, 1), done: make(chan struct{})}
	j.removeTemps()
	go j.run()
	j.kick() // finish work an earlier run left behind
	return j
}

// kick asks for a pass; it never blocks.
func (j *janitor) kick() {
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

func (j *janitor) pass() {
	ents, err := listRotated(j.path)
	if err != nil {
		return
	}
	if j.maxFiles >= 0 && len(ents) > j.maxFiles {
		for _, e := range ents[:len(ents)-j.maxFiles] {
			os.Remove(e.stem)
			os.Remove(e.stem + gzSuffix)
		}
		ents = ents[len(ents)-j.maxFiles:]
	}
	if !j.compress || len(ents) == 0 {
		return
	}
	// The newest rotated file stays plain until the next rotation (like
	// logrotate's delaycompress): a follower that held the file open can
	// still find it by inode and learn its place in the sequence.
	for _, e := range ents[:len(ents)-1] {
		switch {
		case e.plain && e.gz:
			os.Remove(e.stem) // the .gz is only renamed into place when complete
		case e.plain:
			if err := gzipFile(e.stem); err != nil && j.onEvent != nil {
				j.onEvent(Event{Kind: EventCompressFailed, Time: j.now(), Path: e.stem, Err: err})
			}
		}
	}
}

// gzipFile writes src.gz via a temporary file, syncs it, renames it into
// place and only then removes src: at every moment one complete copy exists.
func gzipFile(src string) (err error) {
	in, err := os.OpenFile(src, os.O_RDONLY|openNoFollow, 0)
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
	if err = os.Rename(tmp, src+gzSuffix); err != nil {
		return err
	}
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
