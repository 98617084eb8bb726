package status

import (
	"slices"

	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/proc"
)

// InvocationEnv names the variable that every process of a daemon finds in
// its environment: one random value per supervisor (Record.InvocationID),
// by which tend finds the daemon's processes again when the supervisor is
// gone and no cgroup holds them.
const InvocationEnv = "TEND_INVOCATION_ID"

// Processes returns the live processes of the daemon whose record r is, as
// anyone other than its supervisor can find them: the members of its
// cgroup when it has one; otherwise the processes that carry its
// invocation id in their environment, and its main process, checked by
// pid and start time. Without a cgroup, a process that cleared or
// rewrote its environment (nginx does) and is not the recorded main
// process escapes it.
func (r *Record) Processes() []proc.Identity {
	var out []proc.Identity
	switch {
	case r.Cgroup != "":
		// A group that is gone held nothing any more.
		if g, err := cgroup.Open(r.Cgroup); err == nil {
			pids, _ := g.Procs()
			for _, pid := range pids {
				if id, err := proc.Lookup(pid); err == nil && id.Alive() {
					out = append(out, id)
				}
			}
		}
	case r.InvocationID != "":
		out = proc.WithEnv(InvocationEnv, r.InvocationID)
	}
	if m := r.Main(); m.PID > 0 && m.Alive() && !slices.Contains(out, m) {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b proc.Identity) int { return a.PID - b.PID })
	return out
}
