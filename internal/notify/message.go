// Package notify is the service manager's side of the sd_notify protocol:
// a private datagram socket that a supervised daemon finds in
// NOTIFY_SOCKET, whose messages ("READY=1", "STATUS=...") are received
// with the sender's credentials (SCM_CREDENTIALS) so that the supervisor
// believes only its own daemon's processes.
//
// It implements what tend needs of sd_notify(3): READY=1, RELOADING=1,
// STOPPING=1, STATUS=, ERRNO=, MAINPID=, WATCHDOG=1, WATCHDOG=trigger,
// WATCHDOG_USEC= and EXTEND_TIMEOUT_USEC=. Other keys are ignored, as
// systemd ignores keys it does not know; file descriptors sent along
// (FDSTORE=1) are closed, which also answers BARRIER=1
// (sd_notify_barrier(3)): its descriptor is closed once Receive has
// returned every datagram sent before it.
package notify

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxMessage is the largest datagram accepted, in bytes: systemd's limit,
// NOTIFY_BUFFER_MAX, which is PIPE_BUF (sd_notify(3) documents none).
// Larger datagrams are dropped whole, as systemd drops them, and Receive
// says so.
const MaxMessage = 4096

// ErrTooLarge is returned by Parse for a message over MaxMessage.
var ErrTooLarge = errors.New("notify: message too large")

// Message is one datagram's worth of state, parsed. Only the keys present
// in the datagram are set; the Has fields tell a key given with a zero
// value from an absent one.
type Message struct {
	Ready     bool // READY=1
	Reloading bool // RELOADING=1
	Stopping  bool // STOPPING=1
	// Status is the STATUS= line (invalid UTF-8 replaced), when HasStatus.
	Status    string
	HasStatus bool
	// MainPID is the MAINPID= value, a positive pid, or 0 when absent.
	MainPID int
	// Errno is the ERRNO= value, when HasErrno.
	Errno    int
	HasErrno bool
	// Watchdog is set by WATCHDOG=1 (a keep-alive ping).
	Watchdog bool
	// WatchdogTrigger is set by WATCHDOG=trigger: act as if the watchdog
	// timed out now.
	WatchdogTrigger bool
	// WatchdogUSec is a new watchdog interval in microseconds
	// (WATCHDOG_USEC=), or 0 when absent.
	WatchdogUSec uint64
	// ExtendTimeoutUSec asks for that many more microseconds, from now,
	// before the timeout that runs (EXTEND_TIMEOUT_USEC=); 0 when absent.
	ExtendTimeoutUSec uint64
	// Ignored counts lines that were malformed or had unknown keys.
	Ignored int
}

// Parse parses a datagram: newline-separated KEY=VALUE lines (the last
// newline is optional). Malformed lines and unknown keys are counted in
// Ignored, not errors, as systemd ignores them; the only error is a
// message over MaxMessage.
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) > MaxMessage {
		return m, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(b), MaxMessage)
	}
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		if len(line) == 0 {
			continue
		}
		key, value, ok := bytes.Cut(line, []byte{'='})
		if !ok || len(key) == 0 {
			m.Ignored++
			continue
		}
		if !m.set(string(key), string(value)) {
			m.Ignored++
		}
	}
	return m, nil
}

// set applies one KEY=VALUE pair and reports whether it was understood.
func (m *Message) set(key, value string) bool {
	switch key {
	case "READY":
		m.Ready = value == "1"
		return m.Ready
	case "RELOADING":
		m.Reloading = value == "1"
		return m.Reloading
	case "STOPPING":
		m.Stopping = value == "1"
		return m.Stopping
	case "STATUS":
		m.Status, m.HasStatus = strings.ToValidUTF8(value, "\uFFFD"), true
		return true
	case "MAINPID":
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return false
		}
		m.MainPID = n
		return true
	case "ERRNO":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return false
		}
		m.Errno, m.HasErrno = n, true
		return true
	case "WATCHDOG":
		switch value {
		case "1":
			m.Watchdog = true
		case "trigger":
			m.WatchdogTrigger = true
		default:
			return false
		}
		return true
	case "WATCHDOG_USEC", "EXTEND_TIMEOUT_USEC":
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil || n == 0 {
			return false
		}
		if key == "WATCHDOG_USEC" {
			m.WatchdogUSec = n
		} else {
			m.ExtendTimeoutUSec = n
		}
		return true
	}
	return false
}

// Credentials name the process that sent a datagram, as the kernel
// vouches for them (SCM_CREDENTIALS).
type Credentials struct {
	PID, UID, GID int
}

// Datagram is one received message with its sender.
type Datagram struct {
	Credentials
	Message
}

// DroppedError is what Receive returns for a datagram that it did not
// accept. The socket is fine: Receive can be called again.
type DroppedError struct {
	// Credentials name the sender, when the kernel passed them (PID 0
	// otherwise).
	Credentials
	Size int // the datagram's length, in bytes
	// Why says why it was dropped, and what the sender should do.
	Why string
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("notify: dropped a message of %d bytes from pid %d: %s", e.Size, e.PID, e.Why)
}
