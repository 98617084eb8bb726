package logcap

import (
	"os"
	"time"
)

// Stream names used in record prefixes. Parse recognises only these three.
const (
	Stdout = "stdout" // the child's standard output
	Stderr = "stderr" // the child's standard error
	Marker = "logcap" // lines written by logcap itself (loss markers)
)

// Defaults applied by Open for zero-valued Options fields.
const (
	DefaultMaxSize  = 10 << 20    // bytes per file before rotation
	DefaultMaxFiles = 5           // rotated files kept
	DefaultMaxLine  = 64 << 10    // bytes of line text per record
	DefaultMaxHeld  = 4 << 20     // bytes held in memory while writes fail
	DefaultPerm     = 0o640       // mode of created log files
	DefaultRetry    = time.Second // first retry delay after a write failure

)

// maxRetry caps the retry backoff: a log recovers within this long of the
// condition clearing (space freed on a full disk), at the cost of one
// failing write(2) per maxRetry while it lasts.
const maxRetry = 2 * time.Second

// Options configures a Log. The zero value of every field except Path
// selects the documented default.
type Options struct {
	// Path is the log file, e.g. ".../output.log". Required.
	Path string
	// MaxSize is the size in bytes at which the file is rotated.
	// Zero means DefaultMaxSize; negative disables rotation by size.
	MaxSize int64
	// MaxFiles is how many rotated files are kept; older ones are deleted.
	// Zero means DefaultMaxFiles; negative keeps all.
	MaxFiles int
	// Compress gzips rotated files in the background, except the newest
	// one (see the package doc, "Rotation").
	Compress bool
	// NoTimestamps turns off the timestamp prefix (on by default).
	NoTimestamps bool
	// NoStreamNames turns off the stream-name prefix (on by default).
	NoStreamNames bool
	// MaxLine is the most bytes of line text in one record; longer lines are
	// split into continued records. Zero means DefaultMaxLine.
	MaxLine int
	// MaxHeld is how many bytes of records are held in memory while the
	// file cannot be written. Zero means DefaultMaxHeld; negative holds none.
	MaxHeld int
	// Perm is the mode of a created log file (before umask). Zero means
	// DefaultPerm (0640). An existing file's mode is left alone.
	Perm os.FileMode
	// Retry is the first delay before retrying after a write failure; it
	// doubles after each failed retry, up to 2 s. Zero means DefaultRetry.
	Retry time.Duration
	// Now is the clock for timestamps and rotated-file names. Nil means
	// time.Now.
	Now func() time.Time
	// OnEvent, if set, is called for rotations, reopens, write failures and
	// recoveries. It is called from logcap's goroutines, one call at a time;
	// it must not block for long and must not call Rotate, Reopen or Close.
	OnEvent func(Event)

	// crashAt is a test hook, called at each named step of a rotation or
	// a compression, so that a test can kill the process there. nil
	// outside tests.
	crashAt func(point string)
	// idleAfter replaces idleAfter, and idled is called each time a
	// capture gives its buffers back: test hooks.
	idleAfter time.Duration
	idled     func()
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	EventRotated        EventKind = iota + 1 // Path: the rotated file's new name
	EventRotateFailed                        // Err: why; writing continues to the old file
	EventReopened                            // the path was opened anew (Reopen)
	EventWriteFailed                         // Err: the log became degraded
	EventRecovered                           // writing works again; Lines/Bytes were lost, Err was the cause
	EventCompressFailed                      // Path, Err: the file stays uncompressed
)

// String returns the kind's name, e.g. "rotated".
func (k EventKind) String() string {
	switch k {
	case EventRotated:
		return "rotated"
	case EventRotateFailed:
		return "rotate-failed"
	case EventReopened:
		return "reopened"
	case EventWriteFailed:
		return "write-failed"
	case EventRecovered:
		return "recovered"
	case EventCompressFailed:
		return "compress-failed"
	}
	return "unknown"
}

// Event is a notable change in a Log, passed to Options.OnEvent.
type Event struct {
	Kind  EventKind
	Time  time.Time
	Path  string // file concerned
	Err   error  // cause, for failures and recoveries
	Lines int64  // lines lost (EventRecovered)
	Bytes int64  // bytes lost (EventRecovered)
}

// Stats is a snapshot of a Log's counters and health, for `tend status`.
// Byte counts are record bytes as they appear in the file (prefixes and
// newline included).
type Stats struct {
	Lines     int64 // records written to files, loss markers included
	Bytes     int64 // bytes written to files
	Split     int64 // over-long lines that were split into continued records
	Rotations int64 // rotations done
	LostLines int64 // records dropped because the file could not be written
	LostBytes int64 // bytes dropped, likewise
	HeldBytes int64 // bytes held in memory now, waiting for a retry
	// Err is the current write or open error; nil when healthy.
	Err error
	// Since is when the current failure began; zero when healthy.
	Since time.Time
}

// Degraded reports whether the log cannot currently be written.
func (s Stats) Degraded() bool { return s.Err != nil }

func (o Options) withDefaults() Options {
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxFiles == 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.MaxLine <= 0 {
		o.MaxLine = DefaultMaxLine
	}
	if o.MaxHeld == 0 {
		o.MaxHeld = DefaultMaxHeld
	} else if o.MaxHeld < 0 {
		o.MaxHeld = 0
	}
	if o.Perm == 0 {
		o.Perm = DefaultPerm
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
