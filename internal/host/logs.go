package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
)

// GET /v1/daemons/{name}/logs: the daemon's output log as tend logs shows
// it, one record a line ("TIMESTAMP STREAM TEXT"), across rotated files.
//
//	lines=N     the last N lines (default 100); 0 none; all every line
//	follow=1    then every new line as it is written, across rotations,
//	            without losing or repeating one (logcap.Follow), until
//	            the client leaves
//	stream=S    only stdout or stderr
//	since=D     only lines of the last D (10m, 2h, 90)
//
// The log is read from its files, never from the daemon's pipes: a
// reader, fast or slow, costs the daemons and the host nothing but its
// own goroutine. A follower that takes nothing for logWriteTimeout while
// lines wait for it is cut off.

const (
	// defaultLogLines is the lines answered without lines=, as tend logs
	// prints them.
	defaultLogLines = 100
	// maxLogLines bounds lines=N, which the host holds in memory; every
	// line (lines=all) is copied file by file instead.
	maxLogLines = 100000
	// logWriteTimeout is how long a write to a log's reader may block.
	logWriteTimeout = 30 * time.Second
)

func (h *Host) getLogs(w http.ResponseWriter, r *http.Request) {
	v, _, err := h.view(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	n, filter, err := logQuery(q.Get("lines"), q.Get("stream"), q.Get("since"))
	if err != nil {
		writeError(w, err)
		return
	}
	follow, err := queryBool(q.Get("follow"))
	if err != nil {
		writeError(w, fmt.Errorf("%w: follow: %w", errBadRequest, err))
		return
	}
	path := v.Log
	if path == "" {
		dir, err := h.store.Existing(v.Name)
		if err != nil {
			writeError(w, err)
			return
		}
		path = dir.LogFile()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	out := &deadlineWriter{w: w, rc: http.NewResponseController(w)}
	defer out.rc.SetWriteDeadline(time.Time{}) // the connection may serve another request
	switch {
	case follow:
		w.WriteHeader(http.StatusOK)
		out.flush()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-h.ending: // the host exits: the stream ends, with what the log holds
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := logcap.Follow(ctx, path, n, out, filter); err != nil && ctx.Err() == nil {
			h.logf("following %s's log for a client: %v", v.Name, err)
		}
	case n == 0:
		w.WriteHeader(http.StatusOK)
	case n < 0:
		if err := logcap.Copy(path, out, filter); err != nil && !errors.Is(err, fs.ErrNotExist) {
			h.logf("copying %s's log for a client: %v", v.Name, err)
		}
	default:
		lines, err := logcap.Tail(path, n, filter)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			writeError(w, fmt.Errorf("read %s's log %s: %w", v.Name, path, err))
			return
		}
		for _, l := range lines {
			if _, err := out.Write([]byte(l + "\n")); err != nil {
				return
			}
		}
	}
}

// logQuery parses the query of a log: lines (a count, "all": -1) and the
// filter.
func logQuery(lines, stream, since string) (int, logcap.Filter, error) {
	var f logcap.Filter
	n := defaultLogLines
	switch lines {
	case "":
	case "all":
		n = -1
	default:
		v, err := strconv.Atoi(lines)
		if err != nil || v < 0 || v > maxLogLines {
			return 0, f, fmt.Errorf("%w: lines=%q: give a number of lines from 0 to %d, or all", errBadRequest, lines, maxLogLines)
		}
		n = v
	}
	switch stream {
	case "", logcap.Stdout, logcap.Stderr:
		f.Stream = stream
	default:
		return 0, f, fmt.Errorf("%w: stream=%q: give stdout or stderr", errBadRequest, stream)
	}
	if since != "" {
		d, err := definition.ParseDuration(since)
		if err != nil {
			return 0, f, fmt.Errorf("%w: since=%q: %w", errBadRequest, since, err)
		}
		f.Since = time.Now().Add(-d)
	}
	return n, f, nil
}

// queryBool reads a flag of a query: "", 0 or false; 1 or true.
func queryBool(s string) (bool, error) {
	switch s {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("%q: give 1 or 0", s)
}

// deadlineWriter writes to a client within logWriteTimeout, and flushes
// each write to it.
type deadlineWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.rc.SetWriteDeadline(time.Now().Add(logWriteTimeout))
	n, err := d.w.Write(p)
	if err == nil {
		err = d.flush()
	}
	return n, err
}

func (d *deadlineWriter) flush() error {
	d.rc.SetWriteDeadline(time.Now().Add(logWriteTimeout))
	return d.rc.Flush()
}
