package supervisor

// Requests from the supervisor's callers (the control server, tend run,
// tend up's foreground loop): each is an event sent to the loop that owns
// the state, answered once the machine has carried it out.

import (
	"context"
	"errors"
	"fmt"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"syscall"
)

// Stop runs the stop schedule on every instance and returns how the
// (first instance's) main process ended. Later calls wait for the same
// result.
func (s *Supervisor) Stop(ctx context.Context) (string, error) {
	rs, err := s.ask(ctx, evStop, result{how: "was not running"})
	if err != nil {
		return "", err
	}
	return rs[0].how, firstErr(rs)
}

// Restart replaces every instance's incarnation (stop schedule, then a
// new one at once, whatever the restart policy says) and returns the new
// main process's pid (the first instance's) once all are ready. The
// supervisor, its control socket and its --listen sockets stay, so that
// connections queue meanwhile.
func (s *Supervisor) Restart(ctx context.Context) (int, error) {
	s.inbox.post(watchRearm{})
	rs, err := s.ask(ctx, evRestart, result{err: ErrStopped})
	if err != nil {
		return 0, err
	}
	return rs[0].pid, firstErr(rs)
}

// Reload replaces the daemon without a moment down: instance by instance,
// a new incarnation starts beside the serving one, from the definition as
// stored (env files read again), and the old one is stopped only once the
// new one is ready. A new incarnation that fails stops the reload: the old
// ones serve on, and the error says why. With --reload-signal, the signal
// goes to each main process instead. It returns the first instance's new
// main pid.
func (s *Supervisor) Reload(ctx context.Context) (int, error) { return s.ReloadTo(ctx, nil) }

// ReloadTo is Reload to the definition def rather than the stored one
// (nil: the stored one, its env files read again): only what a reload
// can apply may differ (the command, its environment and user). The
// stored definition becomes def only once the reload has succeeded: a new
// version that does not become ready changes nothing.
func (s *Supervisor) ReloadTo(ctx context.Context, def *definition.Definition) (int, error) {
	n := s.Record().InstanceCount
	pid := 0
	for i := range max(n, 1) {
		w := newWaiter()
		select {
		case <-s.ended:
			return 0, ErrStopped
		default:
		}
		s.inbox.post(instanceRequest{index: i, kind: evReload, w: w, refresh: i == 0, candidate: def})
		r, err := s.await(ctx, w, result{err: ErrStopped})
		if err == nil {
			err = r.err
		}
		if err != nil {
			s.inbox.post(reloadDone{ok: false})
			if n > 1 {
				return 0, fmt.Errorf("instance %d: %w", i, err)
			}
			return 0, err
		}
		if i == 0 {
			pid = r.pid
		}
	}
	s.inbox.post(reloadDone{ok: true, store: def != nil})
	return pid, nil
}

// Scale runs n instances: it starts the missing ones and returns once they
// are ready, or stops those above n and returns once they are gone.
func (s *Supervisor) Scale(ctx context.Context, n int) error {
	if n < 1 {
		return fmt.Errorf("scale to %d: a daemon runs at least one instance (stop it instead)", n)
	}
	reply := make(chan []*waiter, 1)
	select {
	case <-s.ended:
		return ErrStopped
	default:
	}
	s.inbox.post(scaleRequest{n: n, reply: reply})
	var ws []*waiter
	select {
	case ws = <-reply:
	case <-s.ended:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, w := range ws {
		r, err := s.await(ctx, w, result{})
		if err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// ask sends kind to every instance and waits for all their answers; an
// instance whose request the loop did not take (it ended) answers
// untaken.
func (s *Supervisor) ask(ctx context.Context, kind eventKind, untaken result) ([]result, error) {
	select {
	case <-s.ended:
		return []result{untaken}, nil
	default:
	}
	reply := make(chan []*waiter, 1)
	s.inbox.post(fanout{kind: kind, reply: reply})
	var ws []*waiter
	select {
	case ws = <-reply:
	case <-s.ended:
		return []result{untaken}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if len(ws) == 0 {
		return []result{untaken}, nil
	}
	rs := make([]result, len(ws))
	for i, w := range ws {
		r, err := s.await(ctx, w, untaken)
		if err != nil {
			return nil, err
		}
		rs[i] = r
	}
	return rs, nil
}

func firstErr(rs []result) error {
	for _, r := range rs {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// Signal sends sig to every instance's main process, or, with all or when
// no main process is known, to every process of the daemon. It returns the
// pid signalled (0 for several) and how many processes were.
func (s *Supervisor) Signal(sig syscall.Signal, all bool) (pid, n int, err error) {
	r := make(chan signalResult, 1)
	select {
	case <-s.ended:
		return 0, 0, ErrNotRunning
	default:
	}
	s.inbox.post(signalRequest{sig: sig, all: all, reply: r})
	select {
	case res := <-r:
		return res.pid, res.n, res.err
	case <-s.ended:
		return 0, 0, ErrNotRunning
	}
}

// ErrNotRunning answers a signal when nothing of the daemon runs.
var ErrNotRunning = errors.New("not running")

// await waits for the answer to a request. A request that the loop did
// not take before it ended gets none: it is answered untaken.
func (s *Supervisor) await(ctx context.Context, w *waiter, untaken result) (result, error) {
	select {
	case r := <-w.c:
		return r, nil
	case <-ctx.Done():
		return result{}, ctx.Err()
	case <-s.ended:
		select {
		case r := <-w.c:
			return r, nil
		default:
			return untaken, nil
		}
	}
}

// Processes returns every live process of the daemon, as its tracker
// knows them (its cgroup, or its descendants): nil once it has ended.
func (s *Supervisor) Processes() []proc.Identity {
	r := make(chan []proc.Identity, 1)
	s.inbox.post(processesRequest{reply: r})
	select {
	case ids := <-r:
		return ids
	case <-s.ended:
		return nil
	}
}

// processesRequest asks the loop for the daemon's processes.
type processesRequest struct{ reply chan []proc.Identity }

func (s *Supervisor) processes(r processesRequest) {
	var ids []proc.Identity
	for _, inc := range s.live() {
		ids = append(ids, s.tracker.members(inc.id)...)
	}
	r.reply <- ids
}
