package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/status"
)

// The foreground loop of tend up --foreground. This process is the host's
// keeper (hostHere): the daemons' processes are its children, and it
// reaps every orphan. One goroutine reacts, one event at a time, to
//
//	event                  action
//	SIGHUP                 up again with the file as it is now
//	SIGTERM, SIGINT        down, in order; exit 0 (1 if a stop failed)
//	a daemon's change      from the host's event stream: how it ended (below)
//
// A daemon that no longer runs has ended in one of three ways:
//
//	stopped by a user (tend stop)       nothing; the others run on
//	exited with status 0, not restarted nothing; the others run on
//	failed for good (start limit hit,   critical (its critical = true, or
//	  exited non-zero and not           --exit-on-failure): down in order, exit
//	  restarted)                        with its exit status (1 if it has none);
//	                                    else a line on stderr, the others run on
//
// When no daemon of the file is left up, tend up exits: 0 if none failed,
// else 1.

// liveOutput prints the output of the file's daemons while tend up stays
// in the foreground, each line after its time and the daemon's name: a
// container's log, or the journal's under systemd.
type liveOutput struct {
	stop context.CancelFunc
	done chan struct{}
}

// showOutput starts printing what the daemons (of names, when given)
// write from now on; daemons that start later are shown from their first
// line. Start it before up, to show how the daemons start.
func (u *upper) showOutput(names []string) *liveOutput {
	src := &logSources{store: u.store, project: u.project, fromNow: true, out: u.stdout}
	for _, n := range names {
		src.names = append(src.names, qualified(u.project, n))
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &liveOutput{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		if err := src.follow(ctx, 0, logcap.Filter{}); err != nil {
			fmt.Fprintf(os.Stderr, "tend: the daemons' output: %s\n", userMessage(err))
		}
	}()
	return o
}

// end stops the output once every line written so far is printed, or
// after endWait: when stdout is read more slowly than the daemons wrote,
// what is left is in their logs, and tend up exits without it.
func (o *liveOutput) end() {
	o.stop()
	select {
	case <-o.done:
	case <-time.After(endWait):
		fmt.Fprintln(os.Stderr, "tend: the daemons' last output is not all shown (stdout is read more slowly than they wrote); it is in their logs: tend logs")
	}
}

// endWait bounds the wait for the daemons' last output at the end of
// tend up --foreground.
const endWait = time.Second

// upSignals are the signals that tend up --foreground and --attach act
// on, each kind on a channel of its own: signal.Notify drops a signal
// whose channel is full, and a SIGHUP waiting to be handled (tend up busy
// bringing the file up) once made it drop the SIGTERM that followed
// (issue 25.5). Several HUPs waiting are one up again.
type upSignals struct {
	term chan os.Signal // SIGTERM, SIGINT: down, and exit
	hup  chan os.Signal // SIGHUP: up again
}

// notifyUp starts taking the signals of tend up (until stop).
func notifyUp() *upSignals {
	s := &upSignals{term: make(chan os.Signal, 1), hup: make(chan os.Signal, 1)}
	signal.Notify(s.term, syscall.SIGTERM, syscall.SIGINT)
	signal.Notify(s.hup, syscall.SIGHUP)
	return s
}

// termPending reports whether a SIGTERM or SIGINT waits (and takes it).
func (s *upSignals) termPending() bool {
	select {
	case <-s.term:
		return true
	default:
		return false
	}
}

// stop stops taking the signals: a second TERM during the down that
// follows ends tend at once, as it would any program.
func (s *upSignals) stop() {
	signal.Stop(s.term)
	signal.Stop(s.hup)
}

// foregroundPolicy is what tend up --foreground does when a daemon fails.
type foregroundPolicy struct {
	exitOnFailure bool // --exit-on-failure: every daemon is critical
}

// foregroundLoop runs the loop above after the first up, and returns tend
// up's exit status.
func (u *upper) foregroundLoop(path string, names []string, sigs *upSignals, policy foregroundPolicy) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := client.Events(ctx, u.store.Root(), u.project)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: the host's events: %s\n", userMessage(err))
		return u.shutdown(names, sigs, exitFailure)
	}
	w := &endWatch{told: map[string]bool{}, last: map[string]*client.View{}}
	failed := false
	sdNotify("READY=1\nSTATUS=up")
	for {
		select {
		case <-sigs.term:
			return u.shutdown(names, sigs, exitOK)
		case <-sigs.hup:
			if sigs.termPending() {
				return u.shutdown(names, sigs, exitOK)
			}
			sdNotify("RELOADING=1")
			if nu, err := newUpper(path, u.project); err == nil {
				nu.noReload, nu.formation, nu.foreground, nu.stdout = u.noReload, u.formation, u.foreground, u.stdout
				u = nu
				u.up(names)
			} else {
				fmt.Fprintf(os.Stderr, "tend: %s\n", userMessage(err))
			}
			sdNotify("READY=1\nSTATUS=up")
		case ev, ok := <-events:
			if !ok {
				// The host went away: its keeper (this process) starts
				// a new one, whose stream starts with a snapshot.
				if events, err = client.Events(ctx, u.store.Root(), u.project); err != nil {
					fmt.Fprintf(os.Stderr, "tend: the host's events: %s\n", userMessage(err))
					return u.shutdown(names, sigs, exitFailure)
				}
				continue
			}
			d := w.daemon(u, names, ev)
			if d == nil {
				continue
			}
			end, code, why := w.check(d.Name, ev.Daemon)
			switch end {
			case stillUp, endedCleanly:
			case endedFailed:
				failed = true
				if policy.exitOnFailure || u.critical(d) {
					reason := "it is critical"
					if !u.critical(d) {
						reason = "--exit-on-failure"
					}
					fmt.Fprintf(os.Stderr, "tend: %s failed for good (%s); %s: bringing the others down\n", u.name(d), why, reason)
					return u.shutdown(names, sigs, code)
				}
				fmt.Fprintf(os.Stderr, "tend: %s failed for good (%s); the others run on (%s)\n", u.name(d), why, criticalHint(u.file))
			}
			if end != stillUp && !w.anyUp(u, names) {
				fmt.Fprintln(os.Stderr, "tend: no daemon is left running")
				code := exitOK
				if failed {
					code = exitFailure
				}
				return u.shutdown(names, sigs, code)
			}
		}
	}
}

// shutdown brings the file down in order and returns code, or 1 if
// something would not stop.
func (u *upper) shutdown(names []string, sigs *upSignals, code int) int {
	sdNotify("STOPPING=1")
	sigs.stop()
	if c := u.down(names); c != exitOK && code == exitOK {
		code = c
	}
	return code
}

// critical says whether the file marks the daemon critical.
func (u *upper) critical(d *config.Daemon) bool {
	def, err := u.expected(d)
	return err == nil && def.Critical
}

// endWatch keeps, by daemon, the last view the event stream gave, and
// whose end the loop has handled.
type endWatch struct {
	last map[string]*client.View
	told map[string]bool
}

// daemon returns the file's daemon an event is about, when it is one the
// loop watches (of names, when given).
func (w *endWatch) daemon(u *upper, names []string, ev api.Event) *config.Daemon {
	if ev.Daemon == nil || !strings.HasPrefix(ev.Name, u.project+projectSeparator) {
		return nil
	}
	d := u.file.Daemon(strings.TrimPrefix(ev.Name, u.project+projectSeparator))
	if d == nil || len(names) > 0 && !slices.Contains(names, d.Name) {
		return nil
	}
	w.last[d.Name] = ev.Daemon
	return d
}

// An end is how a daemon's run ended, as the foreground loop sees it.
type end int

const (
	stillUp      end = iota // its supervisor runs (a new one, after a restart)
	endedCleanly            // stopped by a user, or exited 0 and not restarted
	endedFailed             // failed for good
)

// check says how a daemon is after a change: up (again), or ended, once
// (the loop is told of an end once, until it runs again).
func (w *endWatch) check(name string, v *client.View) (end, int, string) {
	if !ended(v) {
		delete(w.told, name)
		return stillUp, exitOK, ""
	}
	if w.told[name] {
		return stillUp, exitOK, ""
	}
	w.told[name] = true
	return endOf(v)
}

// ended reports whether nothing of a daemon runs, and nothing will.
func ended(v *client.View) bool {
	switch v.Condition {
	case client.Condition(status.Stopped), client.Condition(status.Exited), client.Condition(status.Failed), client.Dead,
		client.Condition(status.Completed):
		return true
	}
	return false
}

// endOf classifies a daemon whose supervisor is gone.
func endOf(v *client.View) (end, int, string) {
	code := exitFailure
	why := string(v.Condition)
	if v.LastExit != nil {
		why = v.LastExit.Description
		if c := v.LastExit.Code; c > 0 && c < 256 {
			code = c // 128+N after signal N
		}
	}
	switch {
	case v.Condition == client.Condition(status.Stopped):
		return endedCleanly, exitOK, "stopped"
	case v.Condition == client.Condition(status.Completed):
		return endedCleanly, exitOK, "completed"
	case v.Condition == client.Condition(status.Exited) && v.LastExit != nil && v.LastExit.Code == 0 && v.LastExit.Signal == "":
		return endedCleanly, exitOK, why
	case v.Condition == client.Condition(status.Failed) && v.Err != "":
		why = failedWhy(v.Err, why)
	}
	return endedFailed, code, why
}

// anyUp says whether a daemon of the file (of names) has not ended, as
// the last event about it says.
func (w *endWatch) anyUp(u *upper, names []string) bool {
	order, err := u.file.Order(names)
	if err != nil {
		return true
	}
	for _, d := range order {
		if v := w.last[d.Name]; v == nil || !ended(v) {
			return true
		}
	}
	return false
}

// criticalHint says how to have a daemon's failure bring the others down:
// a Procfile cannot mark one daemon critical, a tend.toml can.
func criticalHint(f *config.File) string {
	if !config.IsTOML(f.Path) {
		return "tend up --exit-on-failure brings them down; a Procfile cannot mark one daemon critical, a tend.toml can"
	}
	return fmt.Sprintf("critical = true in %s, or tend up --exit-on-failure, to bring them down", f.Name)
}
