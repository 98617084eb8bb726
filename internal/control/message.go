package control

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxMessage is the largest message body, in bytes, that either side
// sends or accepts.
const MaxMessage = 64 << 10

// ErrProtocol is wrapped by errors about a malformed exchange: a message
// that is empty, larger than [MaxMessage], cut short, or not valid JSON.
var ErrProtocol = errors.New("control: protocol error")

// Request is what the CLI asks of a supervisor.
type Request struct {
	// Op names the operation, such as "status" or "stop". It must not be
	// empty; the server answers an empty Op with an error.
	Op string
	// Signal is a signal name for operations that send one ("TERM").
	Signal string `json:",omitempty"`
	// Group asks for an operation to apply to every process of the
	// daemon instead of its main process alone.
	Group bool `json:",omitempty"`
	// Args carries any other operation-specific parameters.
	Args map[string]string `json:",omitempty"`
	// Deadline is when the client stops waiting for the answer (Call
	// sets it from its context). A server that reads the request after
	// it (it was stopped, say, and continued later) refuses it with
	// CodeExpired instead of carrying it out for nobody.
	Deadline time.Time `json:",omitzero"`
}

// Response is a supervisor's answer to a [Request].
type Response struct {
	// OK reports whether the operation succeeded.
	OK bool
	// Error says what went wrong when OK is false, and Code, when it is
	// one of the Code constants, what kind of failure it is, for the
	// client to tell apart without reading the text.
	Error string `json:",omitempty"`
	Code  string `json:",omitempty"`
	// Data is the operation's result, if any, as JSON. It must be valid
	// JSON or empty.
	Data json.RawMessage `json:",omitempty"`
}

// encode returns v as one framed message.
func encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("control: encode message: %w", err)
	}
	if len(body) > MaxMessage {
		return nil, fmt.Errorf("%w: message of %d bytes exceeds the %d-byte limit", ErrProtocol, len(body), MaxMessage)
	}
	msg := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(msg, uint32(len(body)))
	copy(msg[4:], body)
	return msg, nil
}

// decode reads one framed message from r into v. It never reads more than
// 4+MaxMessage bytes. I/O errors (including timeouts) are returned as they
// are; everything about the content wraps ErrProtocol.
func decode(r io.Reader, v any) error {
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: connection closed after %d of 4 header bytes", ErrProtocol, n)
		}
		return err
	}
	size := binary.BigEndian.Uint32(hdr[:])
	switch {
	case size == 0:
		return fmt.Errorf("%w: empty message", ErrProtocol)
	case size > MaxMessage:
		return fmt.Errorf("%w: message of %d bytes exceeds the %d-byte limit", ErrProtocol, size, MaxMessage)
	}
	body := make([]byte, size)
	if n, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: truncated message: got %d of %d bytes", ErrProtocol, n, size)
		}
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: malformed message: %w", ErrProtocol, err)
	}
	return nil
}
