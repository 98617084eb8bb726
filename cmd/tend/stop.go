package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
)

func stopCommand() *command {
	return &command{
		name:    "stop",
		usage:   "NAME... | --all | all",
		summary: "stop daemons; return when all their processes are gone",
		help: `Stop each daemon with its stop schedule (default: SIGTERM, wait up to
10 s, then SIGKILL, to every process of the daemon), and return once every
process of it is gone, printing how it ended. A daemon named that is not
running is reported as such, with exit status 0; --all (or all) says only
what it stopped, and skips the daemons that are not running (when none
runs, it says so in one line). A daemon whose supervisor was
killed is still stopped, after checking by pid and start time that the
processes are the daemon's and not unrelated ones that reused their pids.
A stopped daemon stays in tend list until tend rm forgets it. "tend stop
all" is --all, unless a daemon is named all.`,
		flags: func() *flagSet {
			var all bool
			return stopFlags(&all)
		},
		complete: "daemons",
		run:      runStop,
	}
}

func stopFlags(all *bool) *flagSet {
	fs := newFlagSet("stop")
	fs.boolean(all, "all", 'a', "stop every daemon")
	return fs
}

func runStop(args []string) int {
	var all bool
	p, code, done := parseArgs(stopCommand(), stopFlags(&all), args)
	if done {
		return code
	}
	names := p.args
	if isAll(names) {
		all, names = true, nil // stop all, as supervisorctl and pm2 take it
	}
	switch {
	case all && len(names) > 0:
		return fail(usageErr("stop", "give names or --all, not both"))
	case all:
		var err error
		if names, err = allDaemons(); err != nil {
			return fail(err)
		}
	case len(names) == 0:
		return fail(usageErr("stop", "name a daemon, or use --all"))
	}
	code = exitOK
	stopped := 0
	if client.UseHost() && (all || len(names) > 1) {
		// One request: the host stops them all at once.
		code, stopped = stopMany(names, all)
	} else {
		for _, name := range names {
			c, didStop := stopOne(name, !all)
			code = max(code, c)
			if didStop {
				stopped++
			}
		}
	}
	if all && stopped == 0 && code == exitOK {
		fmt.Println("no daemon is running: nothing to stop")
	}
	return code
}

// stopOne stops the daemon called name, and says whether it stopped one
// that ran. One that is not running is said so when tell is set.
func stopOne(name string, tell bool) (int, bool) {
	dir, err := daemonDir(name)
	if err != nil {
		return fail(err), false
	}
	done := waitNotice(dir)
	how, err := client.Stop(context.Background(), dir)
	done()
	switch {
	case errors.Is(err, client.ErrNotRunning):
		if tell && errors.Is(err, client.ErrStale) {
			fmt.Println(userMessage(err))
		} else if tell {
			fmt.Printf("%s is not running\n", dir.Name)
		}
		return exitOK, false
	case err != nil:
		return fail(opError("stop", dir.Name, err)), false
	}
	fmt.Printf("stopped %s: %s\n", dir.Name, how)
	return exitOK, true
}

// stopMany stops the daemons named (with all: every daemon) in one request
// to the host, which stops them all at once, and says what became of each
// in the order given; it returns the exit status and how many it stopped.
func stopMany(names []string, all bool) (code, stopped int) {
	store, err := openStore()
	if err != nil {
		return fail(err), 0
	}
	var full []string
	for _, n := range names {
		dir, err := findDaemon(store, n)
		if err != nil {
			code = max(code, fail(err))
			continue
		}
		full = append(full, dir.Name)
	}
	if !all && len(full) == 0 {
		return code, 0
	}
	got, hows, errs, err := client.StopMany(context.Background(), store.Root(), full, all)
	if err != nil {
		return max(code, fail(fmt.Errorf("stop: %w", err))), 0
	}
	for i, name := range got {
		switch err := errs[i]; {
		case client.Elsewhere(err):
			// Run by a supervisor of its own (--isolated): ask it.
			c, didStop := stopOne(name, !all)
			code = max(code, c)
			if didStop {
				stopped++
			}
		case errors.Is(err, client.ErrNotRunning):
			if !all {
				fmt.Printf("%s is not running\n", name)
			}
		case err != nil:
			code = max(code, fail(opError("stop", name, err)))
		default:
			fmt.Printf("stopped %s: %s\n", name, hows[i])
			stopped++
		}
	}
	return code, stopped
}

// allDaemons names every daemon that tend knows: those in tend list.
func allDaemons() ([]string, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	names, err := store.List()
	if err != nil {
		return nil, err
	}
	var known []string
	for _, n := range names {
		if dir, err := store.Dir(n); err == nil {
			if _, err := client.Peek(dir); errors.Is(err, client.ErrUnknown) {
				continue // a folder without a record: a start that never got far
			}
		}
		known = append(known, n)
	}
	return known, nil
}

func restartCommand() *command {
	return &command{
		name:    "restart",
		usage:   "NAME... | --all | all",
		summary: "restart daemons' commands; start those that are not running",
		help: `Restart each daemon's command and return once the new one is ready. While
its supervisor runs, the supervisor stays: it stops the command with the
stop schedule and starts it again at once with the definition it runs,
keeping its --listen sockets open, so that connections queue instead of
being refused. Otherwise the daemon is started again exactly as it was
started, with the environment it was started with (env files are read
again), and watched as tend start watches a start. Works on a stopped
daemon too. To change a daemon's command or options: tend stop NAME, then
tend start NAME with the new ones (or tend up, for a file's daemons).

--all (or all) restarts every daemon of tend list, as pm2 restart all
does: those that run are restarted, and those that are stopped, exited
or failed are started again; each line says which ("restarted" or
"started"). To restart only some, name them.`,
		flags: func() *flagSet {
			var all bool
			return restartFlags(&all)
		},
		complete: "daemons",
		run:      runRestart,
	}
}

func restartFlags(all *bool) *flagSet {
	fs := newFlagSet("restart")
	fs.boolean(all, "all", 'a', "restart every daemon, and start those that are not running")
	return fs
}

func runRestart(args []string) int {
	var all bool
	p, code, done := parseArgs(restartCommand(), restartFlags(&all), args)
	if done {
		return code
	}
	names := p.args
	if isAll(names) {
		all, names = true, nil
	}
	switch {
	case all && len(names) > 0:
		return fail(usageErr("restart", "give names or --all, not both"))
	case all:
		var err error
		if names, err = allDaemons(); err != nil {
			return fail(err)
		}
		if len(names) == 0 {
			fmt.Println("no daemons to restart (start one with: tend start NAME -- CMD, or tend up)")
			return exitOK
		}
	case len(names) == 0:
		return fail(usageErr("restart", "name a daemon: tend restart NAME... (or --all)"))
	}
	code = exitOK
	for _, name := range names {
		if c := restartOne(name); c > code {
			code = c
		}
	}
	return code
}

func restartOne(name string) int {
	dir, err := daemonDir(name)
	if err != nil {
		return fail(err)
	}
	// A running supervisor restarts in place, from the definition it
	// runs; the stored one is needed only to start anew (client.Restart
	// says so when it cannot be read).
	def := &definition.Definition{Name: dir.Name}
	if stored, err := client.LoadDefinition(dir); err == nil {
		def = storedDefinition(stored)
	}
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(def))
	defer cancel()
	wasRunning := false
	if v, err := client.Inspect(dir); err == nil {
		wasRunning = v.SupervisorAlive
	}
	done := func() {}
	if wasRunning {
		done = waitNotice(dir)
	}
	pid, err := client.Restart(ctx, dir)
	err = asStartError(err)
	done()
	if err == nil && !wasRunning {
		// Started anew: the host watched the start as it does tend
		// start's; a supervisor process of its own did not.
		s := started{PID: pid}
		if !client.InHost(dir) {
			s, err = watchStart(dir, def, pid)
		}
		if err == nil {
			fmt.Println(startedLine("started", dir, def, s))
			return exitOK
		}
	}
	if err != nil {
		var se *startError
		if errors.As(err, &se) {
			printLines(fmt.Sprintf("last lines of %s's stderr (%s):", dir.Name, se.log), se.stderr)
		} else {
			logTail(def.Name, logPath(dir, def))
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("it was not ready within %s", client.ReadyVerdictTimeout(def))
		}
		code := fail(opError("restart", dir.Name, err))
		printNotifyHint(dir, def)
		return code
	}
	fmt.Println(startedLine("restarted", dir, def, started{PID: pid}))
	return exitOK
}

// isAll says whether names is "all", as supervisorctl and pm2 take it
// (stop all, restart all), when no daemon is named so.
func isAll(names []string) bool {
	if len(names) != 1 || names[0] != "all" {
		return false
	}
	_, err := daemonDir("all")
	return err != nil
}

// logPath is the daemon's output log.
func logPath(dir interface{ LogFile() string }, def *definition.Definition) string {
	if def.Log != "" {
		return def.Log
	}
	return dir.LogFile()
}
