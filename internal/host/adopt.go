package host

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/keeper"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// kept is the supervisors' Keeper in a host: the keeper stores, and the
// hello gave back what it stored for the hosts before this one.
type kept struct {
	k      *keeper.Client
	mu     sync.Mutex
	stored map[string][]*os.File
}

func (kp *kept) Keep(key string, files ...*os.File) { kp.k.Store(key, files...) }

func (kp *kept) Kept(key string) []*os.File {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	files := kp.stored[key]
	delete(kp.stored, key)
	return files
}

func (kp *kept) Forget(key string) { kp.k.Drop(key) }

// adopt takes over every daemon that a host before this one supervised
// and did not see to its end: those with processes the keeper forked for
// them, or exits it kept, and those whose record names a host of the
// keeper's and is not final (they died while no host ran: the restart
// policy decides). Their processes run on as they were; nothing of them
// is started again unless it ended.
func (h *Host) adopt(hello *keeper.Hello) {
	byName := map[string]*supervisor.Resumption{}
	rs := func(name string) *supervisor.Resumption {
		if byName[name] == nil {
			byName[name] = &supervisor.Resumption{}
		}
		return byName[name]
	}
	for _, c := range hello.Children {
		if name, inc, index, ok := supervisor.ParseTag(c.Tag); ok {
			r := rs(name)
			r.Live = append(r.Live, supervisor.Tagged{Inc: inc, Instance: index, ID: proc.Identity{PID: c.PID, StartTime: c.Start}})
		}
	}
	for _, e := range hello.Exits {
		if name, inc, index, ok := supervisor.ParseTag(e.Tag); ok {
			r := rs(name)
			r.Exits = append(r.Exits, supervisor.TaggedExit{Inc: inc, Instance: index, PID: e.PID, Status: e.Status})
		}
	}
	hosts := map[proc.Identity]bool{}
	for _, c := range hello.Hosts {
		hosts[proc.Identity{PID: c.PID, StartTime: c.Start}] = true
	}
	names, _ := h.store.List()
	for _, name := range names {
		dir, err := h.store.Dir(name)
		if err != nil {
			continue
		}
		var rec status.Record
		if err := state.ReadJSON(dir.StatusFile(), &rec); err != nil {
			continue
		}
		r := byName[name]
		if r == nil && (rec.State.Final() || !hosts[rec.Supervisor]) {
			continue // not this keeper's, or seen to its end
		}
		if r == nil {
			r = rs(name)
		}
		r.Record = rec
	}
	var wg sync.WaitGroup
	for name, r := range byName {
		wg.Go(func() {
			if err := h.resume(name, r); err != nil {
				h.logf("%s: not taken over: %v", name, err)
				for _, t := range r.Live {
					// Forked for a daemon no host can supervise now:
					// left running, they would be found by nobody.
					t.ID.Signal(9)
				}
			}
		})
	}
	wg.Wait()
	var pids []int
	for _, e := range hello.Exits {
		pids = append(pids, e.PID)
	}
	if len(pids) > 0 {
		h.keeper.Ack(pids...)
	}
	h.kept.mu.Lock()
	for key, files := range h.kept.stored {
		// Kept for daemons none took back.
		for _, f := range files {
			f.Close()
		}
		h.keeper.Drop(key)
	}
	h.kept.stored = map[string][]*os.File{}
	h.kept.mu.Unlock()
}

// resume runs the supervisor of a daemon taken over.
func (h *Host) resume(name string, r *supervisor.Resumption) error {
	dir, err := h.store.Existing(name)
	if err != nil {
		return err
	}
	if r.Record.Name == "" || r.Record.State.Final() {
		return errors.New("its record does not say that it runs")
	}
	var def definition.Definition
	if err := state.ReadJSON(dir.DefinitionFile(), &def); err != nil {
		return err
	}
	if err := def.Validate(); err != nil {
		return fmt.Errorf("its stored definition: %w", err)
	}
	intern(&def)
	if err := h.reg.claim(name); err != nil {
		return err
	}
	lock, err := dir.LockSupervisor()
	if err != nil {
		h.reg.release(name, nil)
		return err
	}
	lock.Write(os.Getpid())
	sup, err := supervisor.Start(supervisor.Config{Definition: &def, Dir: dir, Reaper: h.reaper, Keeper: h.kept, Resume: r,
		NoControl: true, Watcher: h.watcher, OnChange: h.onChange(name)})
	if err != nil {
		lock.Remove()
		h.reg.release(name, nil)
		return err
	}
	h.settle(name, sup, lock)
	h.logf("%s: taken over (pid %d)", name, sup.Record().PID)
	return nil
}
