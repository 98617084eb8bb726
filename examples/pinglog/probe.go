package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// Status is the outcome of one probe.
type Status int

// The outcomes of a probe, as written in the result= field.
const (
	StatusOK        Status = iota // the host answered
	StatusTimeout                 // no answer before the deadline
	StatusRefused                 // TCP: connection refused, so the host is up
	StatusError                   // the probe could not be made; see Result.Err
	StatusCancelled               // stopped by SIGTERM/SIGINT while in flight
)

// String returns the word written in the log's result= field.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusTimeout:
		return "timeout"
	case StatusRefused:
		return "refused-but-up"
	case StatusError:
		return "error"
	case StatusCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what one probe found.
type Result struct {
	Status Status
	RTT    time.Duration // round-trip time; set for StatusOK and StatusRefused
	Err    error         // set for StatusError
}

// Prober checks once that a host answers.
type Prober interface {
	// Probe sends one probe and waits for its answer until ctx's deadline.
	// It returns early, with StatusCancelled, when ctx is cancelled. It
	// leaves nothing behind: no goroutine, no descriptor.
	Probe(ctx context.Context) Result
	// Method is the probe method as written in method=: "icmp" or "tcp".
	Method() string
	// Target is the probed address as written in target=.
	Target() string
	// Close releases the prober's socket, if it keeps one.
	Close() error
}

// newProber sets up the prober for method ("auto", "icmp" or "tcp"). It also
// returns a description of the choice for the log's first line.
func newProber(method string, addr netip.Addr, port int) (Prober, string, error) {
	if method == "tcp" {
		return newTCPProber(addr, port), fmt.Sprintf("tcp (connect to port %d)", port), nil
	}
	p, kind, err := newICMPProber(addr)
	if err == nil {
		return p, "icmp (" + kind + ")", nil
	}
	if method == "icmp" {
		return nil, "", err
	}
	return newTCPProber(addr, port), fmt.Sprintf("tcp (connect to port %d; %v)", port, err), nil
}

// resultOf classifies the error of a probe whose context is ctx. The
// socket's deadline is ctx's own: when it falls just before ctx's timer
// fires (a busy machine runs the probe late), the read, or the write
// itself, fails with os.ErrDeadlineExceeded while ctx.Err() is still nil,
// and that is a timeout too, not an error.
func resultOf(ctx context.Context, err error) Result {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return Result{Status: StatusCancelled}
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded):
		return Result{Status: StatusTimeout}
	}
	return Result{Status: StatusError, Err: err}
}
