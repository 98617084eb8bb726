package logcap

import (
	"errors"
	"io"
	"log/slog"
	"time"
)

// Event log limits: small, since it holds the supervisor's own events only.
const (
	EventMaxSize  = 1 << 20 // bytes per events file before rotation
	EventMaxFiles = 3       // rotated events files kept
)

// NewEventLogger returns a logger that writes JSON records (one per line,
// slog.NewJSONHandler) to path, rotated like a Log at EventMaxSize with
// EventMaxFiles rotated files kept, uncompressed, created with mode 0640.
// The supervisor logs "started", "exited", "log rotated", "write error" and
// the like through it. The logger is safe for concurrent use; a write error
// is returned to slog, which drops the record. Close the io.Closer when done.
func NewEventLogger(path string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		return nil, nil, errors.New("logcap: event log: empty path")
	}
	r := newRFile(path, DefaultPerm, EventMaxFiles, false, time.Now, nil, nil)
	if err := r.open(); err != nil {
		r.stop()
		return nil, nil, err
	}
	lf := &lockedFile{r: r, maxSize: EventMaxSize}
	return slog.New(slog.NewJSONHandler(lf, nil)), lf, nil
}
