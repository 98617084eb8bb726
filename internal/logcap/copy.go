package logcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Copy writes every line of the log at path that matches f to w, oldest
// first, across the rotated files as Tail reads them, holding no more
// than a buffer: for a reader of the whole log (an API's lines=all) in a
// program that must not hold it all in memory. A rotation meanwhile may
// make it miss or repeat the lines of that moment; to follow a log, use
// Follow.
func Copy(path string, w io.Writer, f Filter) error {
	ents, err := listHistory(path)
	if err != nil {
		return fmt.Errorf("logcap: copy %s: %w", path, err)
	}
	cur, curErr := os.Lstat(path)
	bw := bufio.NewWriterSize(w, 64<<10)
	var werr error
	emit := func(line []byte, complete bool) {
		if werr != nil || !f.match(line) {
			return
		}
		if _, werr = bw.Write(line); werr == nil && !complete {
			werr = bw.WriteByte('\n')
		}
	}
	found := false
	for _, e := range ents {
		if e.plain && cur != nil {
			// A rotation caught between its two steps: the rotated name
			// is still the current file, read below as path.
			if st, err := os.Lstat(e.stem); err == nil && os.SameFile(st, cur) {
				continue
			}
		}
		rc, err := openLog(e.stem)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned meanwhile
		}
		if err != nil {
			return err
		}
		found = true
		err = eachLine(rc, emit)
		rc.Close()
		if err != nil {
			return fmt.Errorf("logcap: read %s: %w", e.stem, err)
		}
		if werr != nil {
			return werr
		}
	}
	if curErr == nil {
		r, err := openRead(path)
		if err == nil {
			found = true
			err = eachLine(r, emit)
			r.Close()
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if werr != nil {
		return werr
	}
	if !found {
		return fmt.Errorf("logcap: copy %s: %w", path, fs.ErrNotExist)
	}
	return bw.Flush()
}
