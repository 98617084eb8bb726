package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// A change (tend up, a file edited) is applied only when it works: the
// new version must become ready (settled, by default) before the old one
// is gone for good, and the stored definition changes only then.

// errReplaceFailed is wrapped by a replace whose new version did not
// become ready: the old one runs.
var errReplaceFailed = errors.New("the new version did not become ready")

// replaceError is a failed replace, with the log that tells why.
type replaceError struct {
	err error
	log string
}

func (e *replaceError) Error() string { return e.err.Error() }
func (e *replaceError) Unwrap() error { return e.err }

// A new version must still run settleMin after its start (a broken one
// that fails after a moment of setup fails the change), then have settled
// or, still busy, be taken as started at settleMax.
const (
	settleMin = time.Second
	settleMax = 2 * time.Second
)

// replace brings a daemon to def (see api.ReplaceRequest). It returns the
// new main process.
func (h *Host) replace(ctx context.Context, def *definition.Definition, reload bool) (int, error) {
	if err := def.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	if err := def.CheckLimits(); err != nil {
		return 0, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	v, sup, err := h.view(def.Name)
	if errors.Is(err, errUnknown) || err == nil && sup == nil && !v.SupervisorAlive {
		rec, err := h.start(ctx, def)
		return rec.PID, err
	}
	if err != nil {
		return 0, err
	}
	if sup == nil {
		return 0, elsewhere(v)
	}
	if reload {
		pid, err := sup.ReloadTo(ctx, def)
		if errors.Is(err, supervisor.ErrReloadFailed) {
			why := strings.TrimPrefix(strings.TrimSuffix(err.Error(), ": "+supervisor.ErrReloadFailed.Error()), def.Name+": ")
			return 0, &replaceError{err: fmt.Errorf("%w: it %s; the old version serves on, with its definition (tend up tries again)",
				errReplaceFailed, why), log: sup.Record().Log}
		}
		return pid, err
	}
	dir, err := h.store.Existing(def.Name)
	if err != nil {
		return 0, err
	}
	var old definition.Definition
	if err := state.ReadJSON(dir.DefinitionFile(), &old); err != nil {
		return 0, fmt.Errorf("%s: its stored definition, to go back to should the new one fail: %w", def.Name, err)
	}
	if _, err := h.stop(ctx, def.Name); err != nil && !errors.Is(err, errNotRunning) {
		return 0, err
	}
	rec, err := h.start(ctx, def)
	if err == nil {
		err = h.settled(ctx, def.Name)
	}
	if err == nil {
		return h.pidOf(def.Name, rec.PID), nil
	}
	// The new version failed: the old one again, as it was.
	log := rec.Log
	if sup := h.reg.get(def.Name); sup != nil {
		log = sup.Record().Log
		gone := h.reg.gone(def.Name, sup)
		sup.Stop(context.Background())
		<-gone
	}
	why := fmt.Errorf("%w: %w", errReplaceFailed, err)
	back, berr := h.start(ctx, &old)
	if berr != nil {
		return 0, &replaceError{err: fmt.Errorf("%w; and the old version did not start again either: %w", why, berr), log: log}
	}
	return 0, &replaceError{err: fmt.Errorf("%w; the old version runs again (pid %d), with its definition (tend up tries again)",
		why, h.pidOf(def.Name, back.PID)), log: log}
}

// settled watches a daemon just started for settleMin, then until its
// main process has settled (its processes sleep, waiting for work), at
// most settleMax: an error if it ended first, or its supervisor gave up
// on it.
func (h *Host) settled(ctx context.Context, name string) error {
	begin := time.Now()
	for {
		sup := h.reg.get(name)
		if sup == nil {
			return fmt.Errorf("%s ended during its start", name)
		}
		rec := sup.Record()
		switch rec.State {
		case status.Running:
		case status.Starting:
		default:
			how := string(rec.State)
			if rec.LastExit != nil {
				how = rec.LastExit.Description
			}
			return fmt.Errorf("%s %s during its start", name, how)
		}
		if rec.Restarts > 0 {
			how := "crashed"
			if rec.LastExit != nil {
				how = rec.LastExit.Description
			}
			return fmt.Errorf("%s %s during its start", name, how)
		}
		if time.Since(begin) >= settleMin {
			if yes, known := proc.Settled(rec.PID, 3*time.Millisecond, 0.05); rec.PID > 0 && (yes || !known) || time.Since(begin) >= settleMax {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// pidOf is the daemon's main process now, or pid.
func (h *Host) pidOf(name string, pid int) int {
	if sup := h.reg.get(name); sup != nil {
		if p := sup.Record().PID; p > 0 {
			return p
		}
	}
	return pid
}
