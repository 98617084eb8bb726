package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// The foreground loop of tend up --foreground: one goroutine owns what
// runs and reacts, one event at a time, to
//
//	event            action
//	SIGHUP           up again with the file as it is now; watch the new supervisors
//	SIGTERM, SIGINT  down, in order; exit 0 (1 if a stop failed)
//	SIGCHLD          reap: supervisors are reparented to tend up (a subreaper, or PID 1)
//	supervisor gone  look at how its daemon ended (end below)
//
// A daemon whose supervisor is gone has ended in one of three ways:
//
//	stopped by a user (tend stop)       nothing; the others run on
//	exited with status 0, not restarted nothing; the others run on
//	failed for good (start limit hit,   critical (its critical = true, or
//	  exited non-zero and not           --exit-on-failure): down in order, exit
//	  restarted, supervisor killed)     with its exit status (1 if it has none);
//	                                    else a line on stderr, the others run on
//
// When no daemon of the file is left up, tend up exits: 0 if none failed,
// else 1. SIGCHLD and up are handled by the same goroutine, so reaping
// never races the wait of a start in progress.

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
	src := &logSources{store: u.store, project: u.project, fromNow: true}
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

// end stops the output once every line written so far is printed.
func (o *liveOutput) end() {
	o.stop()
	<-o.done
}

// foregroundPolicy is what tend up --foreground does when a daemon fails.
type foregroundPolicy struct {
	exitOnFailure bool // --exit-on-failure: every daemon is critical
}

// foregroundLoop runs the loop above after the first up, and returns tend
// up's exit status.
func (u *upper) foregroundLoop(path string, names []string, sigs chan os.Signal, policy foregroundPolicy) int {
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)
	w := &endWatch{ended: make(chan string), watching: map[string]proc.Identity{}, told: map[string]bool{}, done: make(chan struct{})}
	defer w.stopAll()
	failed := false
	w.arm(u, names)
	reap()
	sdNotify("READY=1\nSTATUS=up")
	for {
		select {
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return u.shutdown(names, sigs, exitOK)
			}
			sdNotify("RELOADING=1")
			if nu, err := newUpper(path, u.project); err == nil {
				nu.noReload, nu.formation = u.noReload, u.formation
				u = nu
				u.up(names)
			} else {
				fmt.Fprintf(os.Stderr, "tend: %s\n", userMessage(err))
			}
			reap() // the starts are over: their first stages are waited for
			w.arm(u, names)
			sdNotify("READY=1\nSTATUS=up")
		case <-chld:
			reap()
		case name := <-w.ended:
			d := u.file.Daemon(name)
			if d == nil {
				continue // no longer in the file
			}
			end, code, why := w.check(u, d)
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
				fmt.Fprintf(os.Stderr, "tend: %s failed for good (%s); the others run on "+
					"(critical = true in %s, or tend up --exit-on-failure, to bring them down)\n", u.name(d), why, u.file.Name)
			}
			if !w.anyUp(u, names) {
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
func (u *upper) shutdown(names []string, sigs chan os.Signal, code int) int {
	sdNotify("STOPPING=1")
	signal.Stop(sigs)
	if c := u.down(names); c != exitOK && code == exitOK {
		code = c
	}
	reap()
	return code
}

// critical says whether the file marks the daemon critical.
func (u *upper) critical(d *config.Daemon) bool {
	def, err := u.expected(d)
	return err == nil && def.Critical
}

// reap collects every child that has exited, without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// endWatch tells the loop, by name, when a daemon's supervisor exits.
type endWatch struct {
	ended    chan string
	watching map[string]proc.Identity // the supervisor watched, by daemon
	told     map[string]bool          // daemons whose end the loop has handled
	stops    []func()
	done     chan struct{} // closed when the loop is over
}

// arm watches the supervisor of every daemon of the file (of names, when
// given) that is not watched yet; a daemon with none is looked at at once.
func (w *endWatch) arm(u *upper, names []string) {
	order, err := u.file.Order(names)
	if err != nil {
		return
	}
	for _, d := range order {
		w.watch(u, d.Name)
	}
}

func (w *endWatch) watch(u *upper, name string) {
	dir, err := u.store.Dir(qualified(u.project, name))
	if err != nil {
		return
	}
	v, err := client.Inspect(dir)
	if err != nil || !v.SupervisorAlive {
		if !w.told[name] {
			go w.tell(name)
		}
		return
	}
	delete(w.told, name)
	if w.watching[name] == v.Supervisor {
		return
	}
	exited, stop, err := proc.WatchExit(v.Supervisor)
	if err != nil {
		return // no pidfd here: the daemon is looked at on SIGCHLD only
	}
	w.watching[name] = v.Supervisor
	w.stops = append(w.stops, stop)
	go func() {
		<-exited // or stop: the loop checks either way
		w.tell(name)
	}()
}

// tell sends name to the loop, unless the loop is over.
func (w *endWatch) tell(name string) {
	select {
	case w.ended <- name:
	case <-w.done:
	}
}

func (w *endWatch) stopAll() {
	close(w.done)
	for _, stop := range w.stops {
		stop()
	}
}

// An end is how a daemon's run ended, as the foreground loop sees it.
type end int

const (
	stillUp      end = iota // its supervisor runs (a new one, after a restart)
	endedCleanly            // stopped by a user, or exited 0 and not restarted
	endedFailed             // failed for good
)

// check looks at a daemon whose supervisor was seen to exit. It returns
// how it ended, the exit status tend up takes from it, and why.
func (w *endWatch) check(u *upper, d *config.Daemon) (end, int, string) {
	delete(w.watching, d.Name)
	if w.told[d.Name] {
		return stillUp, exitOK, "" // handled already; nothing new
	}
	dir, err := u.store.Dir(u.name(d))
	if err != nil {
		return endedFailed, exitFailure, err.Error()
	}
	v, err := client.Inspect(dir)
	if err != nil {
		return endedFailed, exitFailure, err.Error()
	}
	if v.SupervisorAlive {
		w.watch(u, d.Name)
		return stillUp, exitOK, ""
	}
	w.told[d.Name] = true
	return endOf(v)
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
	case v.Condition == client.Condition(status.Exited) && v.LastExit != nil && v.LastExit.Code == 0 && v.LastExit.Signal == "":
		return endedCleanly, exitOK, why
	case v.Condition == client.Condition(status.Failed) && v.Err != "":
		why = failedWhy(v.Err, why)
	}
	return endedFailed, code, why
}

// anyUp says whether a daemon of the file (of names) still has a
// supervisor.
func (w *endWatch) anyUp(u *upper, names []string) bool {
	order, err := u.file.Order(names)
	if err != nil {
		return true
	}
	for _, d := range order {
		dir, err := u.store.Dir(u.name(d))
		if err != nil {
			continue
		}
		if v, err := client.Inspect(dir); err == nil && v.SupervisorAlive {
			return true
		}
	}
	return false
}
