package supervisor

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/status"
)

// Limits. Go cannot run code between fork and exec, so resource limits
// (--limit) cannot be set in the child the way a C supervisor does. The
// supervisor starts its own executable instead, with the limits in
// LimitsEnv: ExecLimited, called first thing by the program, sets them
// with setrlimit and executes the command in place: same pid, same
// cgroup, same process group, and the limits in force before the
// command's first instruction. It costs one start of the supervisor's
// binary per incarnation, for daemons that set limits only.
//
// --memory-max, --cpu-max and --pids-max go to the daemon's cgroup
// (memory.max, cpu.max, pids.max) where its parent enables the
// controller. Where it does not (a hybrid hierarchy keeps the controllers
// in cgroup v1; no cgroup at all), --memory-max is checked by the loop
// every memoryCheck, and the instance restarted when its processes'
// resident memory passes it; --cpu-max and --pids-max are not enforced,
// and the event log and status say so.

// LimitsEnv carries the limits from the supervisor to ExecLimited.
const LimitsEnv = "TEND_EXEC_LIMITS"

// memoryCheck is how often the loop reads the memory of a daemon with
// --memory-max and no memory controller: a daemon that grows past it is
// restarted within a second, and a daemon without --memory-max costs no
// wake-up at all.
const memoryCheck = time.Second

// ExecLimited is the other half of --limit: when the program was started
// as the exec helper of a supervisor (LimitsEnv set), it sets the limits
// and executes the command, and does not return; otherwise it returns at
// once. Programs that run a supervisor call it first in main (tend does);
// its argument list is the command's path, then its argv.
func ExecLimited() {
	spec, ok := os.LookupEnv(LimitsEnv)
	if !ok {
		return
	}
	os.Unsetenv(LimitsEnv)
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "tend: --limit %s: %v\n", spec, err)
		os.Exit(proc.ExitNotExecutable)
	}
	if len(os.Args) < 3 {
		fail(errors.New("no command to run"))
	}
	limits, err := definition.ParseLimits([]string{spec})
	if err != nil {
		fail(err)
	}
	for _, l := range limits {
		r := l.Rlimit()
		if err := unix.Setrlimit(l.Resource, &r); err != nil {
			fail(fmt.Errorf("%s: %w", l, err))
		}
	}
	err = syscall.Exec(os.Args[1], os.Args[2:], os.Environ())
	fail(fmt.Errorf("start %s: %w", os.Args[1], err))
}

// limited rewrites a start so that ExecLimited sets the limits first.
func limited(limits []string, path string, argv, env []string) (string, []string, []string, error) {
	if len(limits) == 0 {
		return path, argv, env, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, nil, fmt.Errorf("--limit: find the supervisor's executable: %w", err)
	}
	return self, append([]string{"tend-exec", path}, argv...), append(env, LimitsEnv+"="+strings.Join(limits, ",")), nil
}

// applyControls sets the daemon's cgroup controls; what it cannot set is
// logged, and left to the memory check (--memory-max) or not enforced.
func (s *Supervisor) applyControls() {
	d := s.def
	if d.MemoryMax == 0 && d.CPUMax == "" && d.PidsMax == 0 {
		return
	}
	ct, ok := s.tracker.(*cgroupTracker)
	var g *cgroup.Group
	if ok {
		g = ct.g
	}
	// set sets a control file, or says why it could not.
	set := func(file, value string) (why string) {
		if g == nil {
			return "the daemon has no cgroup"
		}
		if err := g.SetControl(file, value); err != nil {
			s.events.Warn("limit not set by the cgroup", "err", err.Error())
			return fmt.Sprintf("no %s controller here", strings.SplitN(file, ".", 2)[0])
		}
		return ""
	}
	notEnforced := func(flag, why string) {
		s.limitNotes = append(s.limitNotes, fmt.Sprintf("%s not enforced (%s)", flag, why))
	}
	if d.MemoryMax > 0 {
		if why := set("memory.max", strconv.FormatInt(d.MemoryMax, 10)); why != "" {
			s.limitNotes = append(s.limitNotes, fmt.Sprintf("memory-max enforced by tend, which checks every %v (%s)", memoryCheck, why))
			s.memoryPolled = true
			go func() {
				t := time.NewTicker(memoryCheck)
				defer t.Stop()
				for {
					select {
					case <-s.ended:
						return
					case <-t.C:
						s.inbox.post(checkMemory{})
					}
				}
			}()
		}
	}
	if q, _ := definition.CPUQuota(d.CPUMax); q > 0 {
		if why := set("cpu.max", fmt.Sprintf("%d 100000", q*1000)); why != "" {
			notEnforced("cpu-max", why)
		}
	}
	if d.PidsMax > 0 {
		if why := set("pids.max", strconv.Itoa(d.PidsMax)); why != "" {
			notEnforced("pids-max", why)
		}
	}
}

// checkMemory asks the loop to compare each instance's memory with
// --memory-max.
type checkMemory struct{}

// memoryChecked restarts an instance whose processes hold more memory
// than --memory-max.
func (s *Supervisor) memoryChecked() {
	for _, in := range s.insts {
		inc := in.m.cur
		if inc == nil || !inc.ready {
			continue
		}
		var total int64
		for _, id := range s.tracker.members(inc.id) {
			total += proc.ResidentBytes(id.PID)
		}
		if total <= s.def.MemoryMax {
			continue
		}
		how := fmt.Sprintf("its processes hold %.1f MiB of memory, over --memory-max %s",
			float64(total)/(1<<20), definition.FormatSize(s.def.MemoryMax))
		s.rec.LimitHit, s.rec.LimitHitAt = how, time.Now()
		hits := maps.Clone(s.rec.LimitHits) // copies of the record share the map
		if hits == nil {
			hits = map[string]int64{}
		}
		hits[status.LimitMemory]++
		s.rec.LimitHits = hits
		s.step(in, event{kind: evFault, inc: inc.id, how: how})
	}
}

// limitList is what status shows of the daemon's limits.
func limitList(d *definition.Definition) []string {
	out := append([]string(nil), d.Limits...)
	if d.MemoryMax > 0 {
		out = append(out, "memory-max="+definition.FormatSize(d.MemoryMax))
	}
	if d.CPUMax != "" {
		out = append(out, "cpu-max="+d.CPUMax)
	}
	if d.PidsMax > 0 {
		out = append(out, "pids-max="+strconv.Itoa(d.PidsMax))
	}
	return out
}
