package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runner is the probe loop: one probe per tick, at most one in flight.
type runner struct {
	log        *logFile
	prober     Prober
	interval   time.Duration
	timeout    time.Duration
	count      int  // stop after this many probes; 0 means never
	goroutines bool // add goroutines=N to probe lines
	probes     int  // probes made so far; also the last seq= written
}

// run probes until a signal arrives on stop or count probes are done, and
// returns why it stopped, for the last line. ctx (the daemon's, cancelled by
// the same signals) cancels a probe in flight; stop says which signal it
// was. hup asks for the log to be reopened.
//
// Ticks fall every interval from the start. A probe's deadline is its
// timeout, but never later than the next tick, so a probe never overlaps the
// next one. If the loop still finds more than one tick due (the process was
// stopped, the machine suspended, a log write blocked), it probes once for
// the latest and logs the others as skipped rather than catching up.
func (r *runner) run(ctx context.Context, stop <-chan os.Signal, hup <-chan struct{}) string {
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case sig := <-stop:
			return "signal " + signalName(sig)
		case <-hup:
			r.reopen()
		case <-timer.C:
			if ctx.Err() != nil {
				// Cancelled by a signal that stop is about to deliver:
				// probing now would only log "cancelled".
				return "signal " + signalName(<-stop)
			}
			now := time.Now()
			if late := now.Sub(next); late >= r.interval {
				missed := int(late / r.interval)
				next = next.Add(time.Duration(missed) * r.interval)
				r.event("skipped %d missed ticks: %s behind schedule", missed, late.Round(time.Millisecond))
			}
			next = next.Add(r.interval)
			deadline := now.Add(r.timeout)
			if deadline.After(next) {
				deadline = next
			}
			r.probe(ctx, deadline)
			if r.count > 0 && r.probes >= r.count {
				return "count reached"
			}
			timer.Reset(time.Until(next))
		}
	}
}

// probe makes one probe with the given deadline and logs it.
func (r *runner) probe(ctx context.Context, deadline time.Time) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	r.probes++
	start := time.Now()
	res := r.prober.Probe(ctx)
	line := probeLine{
		Start:  start,
		End:    time.Now(),
		Target: r.prober.Target(),
		Method: r.prober.Method(),
		Seq:    r.probes,
		Result: res,
	}
	if r.goroutines {
		line.Goroutines = runtime.NumGoroutine()
	}
	r.write(line.String())
}

// reopen reopens the log on SIGHUP, saying so at the end of the old file and
// at the start of the new one.
func (r *runner) reopen() {
	if r.log.path == "" {
		r.event("SIGHUP: logging to stdout, nothing to reopen")
		return
	}
	r.event("SIGHUP: reopening log %s after %d probes", r.log.path, r.probes)
	if err := r.log.Reopen(); err != nil {
		r.event("SIGHUP: %v; still writing to the old file", err)
		return
	}
	r.event("reopened log %s on SIGHUP after %d probes", r.log.path, r.probes)
}

// event logs a line about the daemon itself.
func (r *runner) event(format string, args ...any) {
	r.write(eventLine(time.Now(), format, args...))
}

// write appends a line to the log. If that fails there is nowhere better to
// say so than stderr, which for a detached daemon is the same log: a line
// may be lost, the daemon goes on.
func (r *runner) write(line string) {
	if err := r.log.WriteLine(line); err != nil {
		fmt.Fprintf(os.Stderr, "pinglog: write log: %v\n", err)
	}
}

// signalName is the signal's name without "SIG": "TERM".
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return strings.TrimPrefix(name, "SIG")
		}
	}
	return sig.String()
}
