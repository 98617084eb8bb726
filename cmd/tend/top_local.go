package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/top"
)

// localHost is tend top's host on this machine: the host's socket for
// the daemons, their changes, their logs, their CPU and memory; the
// client's operations, which also reach a daemon that runs --isolated.
type localHost struct {
	store *state.Store
	// connected says the event stream was opened once: a later one does
	// not start a host (one that was stopped stays so).
	connected atomic.Bool
	api       *apiClient // the host's socket, for the logs and /metrics
	usage     usageSampler
}

func newLocalHost(store *state.Store) *localHost {
	api := socketAPI(store.Root())
	return &localHost{store: store, api: api, usage: usageSampler{api: api}}
}

// Events follows the host's event stream, with each daemon's project and
// whether it is critical from its stored definition. The first stream
// starts a host when none runs; a later one does not (after tend host
// stop, the host stays stopped).
func (h *localHost) Events(ctx context.Context, project string) (<-chan top.Event, error) {
	var events <-chan api.Event
	var err error
	if h.connected.Load() {
		events, err = h.api.events(ctx, project)
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("no host runs for %s (stopped?)", h.store.Root())
		}
	} else {
		events, err = client.Events(ctx, h.store.Root(), project)
	}
	if err != nil {
		return nil, err
	}
	h.connected.Store(true)
	out := make(chan top.Event, cap(events))
	go func() {
		defer close(out)
		defs := map[string]*definition.Definition{}
		for ev := range events {
			e := top.Event{Event: ev}
			if ev.Name != "" && ev.Type != api.EventRemoved {
				def, ok := defs[ev.Name]
				if !ok || ev.Type == api.EventSnapshot {
					def = h.definition(ev.Name)
					defs[ev.Name] = def
				}
				e.Project, e.Critical = def.Project, def.Critical
			}
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// definition is the daemon's stored definition, empty when it cannot be
// read.
func (h *localHost) definition(name string) *definition.Definition {
	if dir, err := h.store.Dir(name); err == nil {
		if def, err := client.LoadDefinition(dir); err == nil {
			return def
		}
	}
	return &definition.Definition{Name: name}
}

// Logs follows the daemon's log with the host's logs route.
func (h *localHost) Logs(ctx context.Context, name string, lines int) (io.ReadCloser, error) {
	return h.api.logs(ctx, name, lines)
}

// Usage reads the daemons' figures on the host's /metrics.
func (h *localHost) Usage(ctx context.Context) (map[string]top.Usage, error) {
	return h.usage.sample(ctx)
}

// Do carries out op with the client's operations, as the commands of the
// same names do.
func (h *localHost) Do(ctx context.Context, name string, op top.Op) (string, error) {
	dir, err := h.store.Existing(name)
	if err != nil {
		return "", err
	}
	def := h.definition(name)
	wait := client.ReadyVerdictTimeout(def)
	switch op.Kind {
	case top.OpRestart, top.OpStart:
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		pid, err := client.Restart(ctx, dir)
		return pidText(pid), err
	case top.OpReload:
		ctx, cancel := context.WithTimeout(ctx, wait*time.Duration(def.InstanceCount()))
		defer cancel()
		pid, err := client.Reload(ctx, dir)
		return pidText(pid), err
	case top.OpStop:
		return client.Stop(ctx, dir)
	case top.OpScale:
		ctx, cancel := context.WithTimeout(ctx, wait*time.Duration(max(op.Instances, 1)))
		defer cancel()
		return "", client.Scale(ctx, dir, op.Instances)
	case top.OpSignal:
		sig, err := proc.ParseSignal(op.Signal)
		if err != nil {
			return "", err
		}
		pid, n, err := client.Signal(ctx, dir, sig, false)
		if pid == 0 {
			return fmt.Sprintf("%d processes", n), err
		}
		return pidText(pid), err
	}
	return "", fmt.Errorf("unknown operation %q", op.Kind)
}

func pidText(pid int) string {
	if pid <= 0 {
		return ""
	}
	return fmt.Sprintf("pid %d", pid)
}
