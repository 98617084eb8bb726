package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/state"
)

func resurrectCommand() *command {
	return &command{
		name:    "resurrect",
		usage:   "",
		summary: "start every daemon that was up when the machine went down",
		help: `Start again every daemon whose last intent was up: running, starting or
backing off when its supervisor went away (a reboot, a crash), but not one
a user stopped, nor one that failed or exited for good. Daemons brought up
from a tend.toml that still exists start in its dependency order (each
after those it comes after); the others in parallel. One line per daemon
says what was done. Run it at boot: see tend startup.

Exit status: 0 if every daemon that was up runs again, 1 otherwise.`,
		flags: func() *flagSet { return newFlagSet("resurrect") },
		run:   runResurrect,
	}
}

func runResurrect(args []string) int {
	p, code, done := parseArgs(resurrectCommand(), newFlagSet("resurrect"), args)
	if done {
		return code
	}
	if len(p.args) != 0 {
		return fail(usageErr("resurrect", "resurrect takes no names: it brings back every daemon that was up"))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	unlock, err := lockResurrect(store)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	names, err := store.List()
	if err != nil {
		return fail(err)
	}
	var out sync.Mutex
	report := func(name, format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Printf("%s: %s\n", name, fmt.Sprintf(format, args...))
	}
	code = exitOK
	if reportForeign(store) > 0 {
		code = exitFailure
	}
	// The daemons to bring back, grouped by the file they came from.
	byFile := map[string][]string{}
	for _, name := range names {
		dir, err := store.Dir(name)
		if err != nil {
			continue
		}
		v, err := client.Inspect(dir)
		if errors.Is(err, client.ErrUnknown) {
			continue // a start that never got far: nothing to bring back
		}
		if err != nil {
			// A damaged record: whether it was up is unknown, so it is
			// not started, and the user is told.
			report(name, "not started: %s", userMessage(err))
			code = exitFailure
			continue
		}
		switch {
		case v.SupervisorAlive:
			continue // it runs
		case !v.WantUp:
			continue // stopped by a user, or ended for good
		}
		source := ""
		if def, ok := definitionOf(dir); ok && def.Source != "" {
			source = def.Source + "\x00" + def.Project
		}
		byFile[source] = append(byFile[source], name)
	}
	var mu sync.Mutex
	failed := func() {
		mu.Lock()
		code = exitFailure
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for source, list := range byFile {
		wg.Go(func() {
			for _, name := range resurrectOrder(source, list) {
				if err := resurrectOne(store, name, report); err != nil {
					report(name, "failed: %v", err)
					failed()
				}
			}
		})
	}
	wg.Wait()
	return code
}

// resurrectOrder orders the daemons of one file (source is its path and
// project, separated by a NUL) as its dependencies say, when the file
// still loads; otherwise by name.
func resurrectOrder(source string, names []string) []string {
	slices.Sort(names)
	if source == "" {
		return names
	}
	path, project, _ := strings.Cut(source, "\x00")
	f, err := config.Load(path)
	if err != nil {
		return names
	}
	order, err := f.Order(nil)
	if err != nil {
		return names
	}
	var out []string
	for _, d := range order {
		if n := qualified(project, d.Name); slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// resurrectOne ends what is left of a daemon (processes that outlived a
// crashed supervisor) and starts it from its stored definition. It never
// restarts a daemon that runs: one that another tend started meanwhile
// is reported as running, not replaced.
func resurrectOne(store *state.Store, name string, report func(name, format string, args ...any)) error {
	dir, err := store.Dir(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyVerdictWait(dir))
	defer cancel()
	def, err := client.LoadDefinition(dir)
	if err != nil {
		return fmt.Errorf("its stored definition is unusable (%w); start it anew with tend start %s [options] -- COMMAND", err, name)
	}
	if v, err := client.Inspect(dir); err == nil && v.Condition == client.Lost {
		if _, err := client.Stop(ctx, dir); err != nil && !errors.Is(err, client.ErrNotRunning) {
			return err
		}
	}
	pid, err := client.Start(ctx, dir, def)
	if errors.Is(err, daemon.ErrAlreadyRunning) {
		// Another tend started it meanwhile.
		if v, err := client.Inspect(dir); err == nil && v.PID > 0 {
			report(name, "already running (pid %d)", v.PID)
		} else {
			report(name, "already running")
		}
		return nil
	}
	if err != nil {
		return err
	}
	report(name, "started (pid %d)", pid)
	return nil
}

// resurrectLock is the file, in the state folder, whose lock a tend
// resurrect holds while it runs (a name no daemon can have: it starts
// with a dot).
const resurrectLock = ".resurrect.lock"

// lockResurrect waits until no other tend resurrect runs on the store,
// and returns what lets the next one go. Two at once (a boot script and a
// user) would each see the same daemons down, and the second would stop
// the leftovers that the first had already replaced by a new start.
func lockResurrect(store *state.Store) (func(), error) {
	path := filepath.Join(store.Root(), resurrectLock)
	said := false
	for {
		pf, err := pidfile.Lock(path, 0o600)
		var locked *pidfile.LockedError
		switch {
		case err == nil:
			pf.Write(os.Getpid())
			return func() { pf.Remove() }, nil
		case !errors.As(err, &locked):
			return nil, err
		case !said:
			fmt.Fprintf(os.Stderr, "tend: waiting for another tend resurrect (pid %d) to finish\n", locked.PID)
			said = true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyVerdictWait is how long a start of the daemon may take.
func readyVerdictWait(dir state.Dir) time.Duration {
	if def, err := client.LoadDefinition(dir); err == nil {
		return client.ReadyVerdictTimeout(def)
	}
	return client.ReadyVerdictTimeout(&definition.Definition{})
}
