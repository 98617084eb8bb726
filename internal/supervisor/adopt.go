package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
)

// pidfilePoll is how often the pidfile of a daemon that daemonizes itself
// is read while its main process is being looked for: only between its
// first process's exit and the adoption, bounded by the ready timeout.
const pidfilePoll = 10 * time.Millisecond

// Messages of the pidfile search.
type (
	pidfileRead    struct{ inc, pid int }
	pidfileTimeout struct{ inc int }
)

// adopt looks for the main process of incarnation inc after the old one
// exited 0 leaving others, as systemd does for Type=forking: the process
// that --pidfile names once it names one of the daemon's (a search that
// goes on in the background: ok is false, and its answer comes later),
// else the only process left whose parent is not also one of them. With
// several such processes, none is chosen, and signals go to them all.
func (s *Supervisor) adopt(inc int) (ev event, ok bool) {
	if s.def.PIDFile != "" {
		s.searchPIDFile(inc)
		return event{}, false
	}
	members := s.tracker.members(inc)
	if len(members) == 0 {
		return event{kind: evEmpty, at: time.Now(), inc: inc}, true
	}
	in := map[int]bool{}
	for _, id := range members {
		in[id.PID] = true
	}
	var roots []proc.Identity
	for _, id := range members {
		if ppid, err := proc.Parent(id.PID); err == nil && !in[ppid] {
			roots = append(roots, id)
		}
	}
	if len(roots) != 1 {
		return event{kind: evAdopted, at: time.Now(), inc: inc,
			how: fmt.Sprintf("%d processes are left, none of them clearly the main one (give --pidfile)", len(roots))}, true
	}
	s.watchMain(inc, roots[0])
	return event{kind: evAdopted, at: time.Now(), inc: inc, main: roots[0], how: "the only process left"}, true
}

// searchPIDFile reads --pidfile until it names a process, each new value
// going to the loop, which accepts it only if it is one of the daemon's.
func (s *Supervisor) searchPIDFile(inc int) {
	r := s.incs[inc]
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, s.mcfg.readyTimeout)
	r.stopSearch = cancel
	path := s.def.PIDFile
	go func() {
		defer cancel()
		t := time.NewTicker(pidfilePoll)
		defer t.Stop()
		last := 0
		for {
			if pid, err := pidfile.Read(path); err == nil && pid != last {
				last = pid
				s.inbox.post(pidfileRead{inc, pid})
			}
			select {
			case <-ctx.Done():
				if ctx.Err() == context.DeadlineExceeded {
					s.inbox.post(pidfileTimeout{inc})
				}
				return
			case <-t.C:
			}
		}
	}()
}

// pidfileNamed adopts the process the pidfile names if it is one of the
// incarnation's.
func (s *Supervisor) pidfileNamed(m pidfileRead) {
	in, inc := s.incarnation(m.inc)
	if in == nil || inc.main.PID != 0 {
		return
	}
	id, err := member(s.tracker, m.inc, m.pid)
	if err != nil {
		s.events.Warn("pidfile names a process that is not the daemon's; waiting for it to change", "pidfile", s.def.PIDFile, "pid", m.pid)
		return
	}
	if r := s.incs[m.inc]; r != nil && r.stopSearch != nil {
		r.stopSearch()
	}
	s.watchMain(m.inc, id)
	s.step(in, event{kind: evAdopted, at: time.Now(), inc: m.inc, main: id, how: "pidfile " + s.def.PIDFile})
}

// pidfileGaveUp ends a search that found nothing in time.
func (s *Supervisor) pidfileGaveUp(m pidfileTimeout) {
	in, inc := s.incarnation(m.inc)
	if in == nil || inc.main.PID != 0 {
		return
	}
	s.step(in, event{kind: evAdopted, at: time.Now(), inc: m.inc,
		how: fmt.Sprintf("--pidfile %s named none of its processes within %v", s.def.PIDFile, s.mcfg.readyTimeout)})
}

// watchMain arranges to learn of the exit of an adopted main process
// even if it is not the supervisor's child. Whether it is cannot be told
// at adoption: its parent may be exiting, and it comes to the supervisor
// a moment later. So its exit is watched by pidfd in any case; mainGone
// then leaves the supervisor's own children to the reaper, which knows
// their exit status.
func (s *Supervisor) watchMain(inc int, id proc.Identity) {
	exited, stop, err := proc.WatchExit(id)
	if err != nil {
		return
	}
	r := s.incs[inc]
	go func() {
		select {
		case <-exited:
			s.inbox.post(mainGone{inc: inc, id: id})
		case <-r.ctx.Done():
		}
		stop()
	}()
}
