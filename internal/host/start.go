package host

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/startwatch"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// startError is a start that did not happen, or did not become ready.
type startError struct {
	err error
	// log is the daemon's log, whose last lines tell why, when the
	// command ran.
	log string
	// stopped says that the daemon ran and was stopped again: it stays,
	// failed, for status to show.
	stopped bool
}

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// start runs a supervisor for def and waits for its verdict on the first
// incarnation (ctx bounds only the wait: a start whose client left goes
// on), then, with the default readiness, until it has settled
// (startwatch). It returns the daemon's record once it is ready, or a
// *startwatch.CrashError for one that crashed meanwhile.
func (h *Host) start(ctx context.Context, def *definition.Definition) (api.Started, error) {
	rec, err := h.startReady(ctx, def)
	if err != nil {
		return api.Started{Record: rec}, err
	}
	res, err := startwatch.Watch(func() (*api.View, error) {
		v, _, err := h.view(def.Name)
		return v, err
	}, def, rec.PID)
	if res.PID != rec.PID {
		if v, _, verr := h.view(def.Name); verr == nil {
			rec = v.Record // restarted during the watch
		}
	}
	return api.Started{Record: rec, CrashesAtStart: res.Crashes, EndedAtStart: res.Ended}, err
}

// startReady is start until the supervisor's verdict.
func (h *Host) startReady(ctx context.Context, def *definition.Definition) (status.Record, error) {
	if err := def.Validate(); err != nil {
		return status.Record{}, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	if err := def.CheckLimits(); err != nil {
		return status.Record{}, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	intern(def)
	dir, err := h.store.Create(def.Name)
	if err != nil {
		return status.Record{}, err
	}
	if err := h.reg.claim(def.Name); err != nil {
		return status.Record{}, err
	}
	// The daemon's lock: another process may hold it (a supervisor of
	// tend before the host, a daemon started --isolated).
	lock, err := dir.LockSupervisor()
	if err != nil {
		h.reg.release(def.Name, nil)
		var locked *pidfile.LockedError
		if errors.As(err, &locked) {
			return status.Record{}, &errBusy{name: def.Name, pid: locked.PID}
		}
		return status.Record{}, err
	}
	lock.Write(os.Getpid())
	sup, err := supervisor.Start(supervisor.Config{Definition: def, Dir: dir, Reaper: h.reaper, Keeper: h.kept, NoControl: true,
		Watcher: h.watcher, OnChange: h.onChange(def.Name)})
	if err != nil {
		lock.Remove()
		h.reg.release(def.Name, nil)
		return status.Record{}, &startError{err: err}
	}
	h.settle(def.Name, sup, lock)
	verdict := make(chan error, 1)
	go func() {
		err := sup.WaitReady(context.Background())
		if err != nil {
			// Nothing keeps running: stop the daemon; its record says
			// why it failed.
			sup.Stop(context.Background())
			<-sup.Done()
		}
		verdict <- err
	}()
	select {
	case err := <-verdict:
		if err != nil {
			return sup.Record(), &startError{err: err, log: sup.Record().Log, stopped: true}
		}
		return sup.Record(), nil
	case <-ctx.Done():
		return sup.Record(), ctx.Err()
	}
}
