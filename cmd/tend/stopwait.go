package main

import (
	"fmt"
	"os"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// noticeDelay is how long a stop may wait in silence: after it, tend
// says what it waits for.
const noticeDelay = time.Second

// waitNotice is for a stop (or restart) of dir's daemon that is about to
// begin: once a step of the daemon's stop schedule has waited noticeDelay
// for its processes to exit, a line on stderr says so, and what comes
// next (see stopNotice), on a terminal or not; none once the main
// process is gone. The daemon is looked at only when the first notice is
// due, so a stop that ends sooner (nearly all do) costs no question to
// the host. The function it returns ends the notices; once it has
// returned, none is printed.
func waitNotice(dir state.Dir) (done func()) {
	begin := time.Now()
	stop, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTimer(noticeDelay)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
		v, err := client.Peek(dir)
		if err != nil || !stopping(v) {
			return // ended already, or a restart's new one runs
		}
		sched := definition.DefaultSchedule()
		if def, err := client.LoadDefinition(dir); err == nil {
			if s, err := def.Schedule(); err == nil {
				sched = s
			}
		}
		who := dir.Name + "'s processes"
		main := v.Main()
		if v.PID > 0 && v.MainAlive {
			who = fmt.Sprintf("%s (pid %d)", dir.Name, v.PID)
		} else {
			main = proc.Identity{}
		}
		var at time.Duration // when the step begins
		for i, step := range sched {
			if step.Wait > noticeDelay {
				t.Reset(time.Until(begin.Add(at + noticeDelay)))
				select {
				case <-stop:
					t.Stop()
					return
				case <-t.C:
				}
				if main.PID > 0 && !main.Alive() {
					return // gone: a restart now waits for the new one
				}
				fmt.Fprintln(os.Stderr, stopNotice(who, sched, i, step.Wait-noticeDelay))
			}
			at += step.Wait
		}
	}()
	return func() {
		close(stop)
		<-ended
	}
}

// stopping says whether v's daemon still has processes to wait for in a
// stop or restart.
func stopping(v *client.View) bool {
	switch {
	case v.State == status.Stopping, v.State == status.Restarting:
		return true
	case !v.SupervisorAlive:
		return len(v.Leftovers) > 0 // a stop that finishes a lost supervisor's work
	}
	return false
}

// stopNotice is the line that says that a stop waits for who at step i
// of sched, with left to wait before the next step: "waiting for web
// (pid 4242) to exit after TERM; KILL in 9s".
func stopNotice(who string, sched definition.Schedule, i int, left time.Duration) string {
	secs := left.Round(time.Second)
	if secs < time.Second {
		secs = time.Second
	}
	sig := proc.SignalName(sched[i].Signal)
	if i+1 < len(sched) {
		return fmt.Sprintf("waiting for %s to exit after %s; %s in %v", who, sig, proc.SignalName(sched[i+1].Signal), secs)
	}
	return fmt.Sprintf("waiting for %s to exit after %s; giving up in %v", who, sig, secs)
}
