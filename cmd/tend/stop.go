package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
)

func stopCommand() *command {
	return &command{
		name:    "stop",
		usage:   "NAME... | --all",
		summary: "stop daemons; return when all their processes are gone",
		help: `Stop each daemon with its stop schedule (default: SIGTERM, wait up to
10 s, then SIGKILL to its whole process group), and return once every
process of the daemon is gone, printing how it ended. A daemon that is not
running is reported as such, with exit status 0. A daemon whose supervisor
was killed is still stopped, after checking by pid and start time that the
process is the daemon's and not an unrelated one that reused its pid.`,
		run: runStop,
	}
}

func runStop(args []string) int {
	fs := flag.NewFlagSet("tend stop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "stop every daemon")
	if err := fs.Parse(args); err != nil {
		return usageError("stop: %v", err)
	}
	names := fs.Args()
	if *all {
		store, err := openStore()
		if err != nil {
			return fail(err)
		}
		if names, err = store.List(); err != nil {
			return fail(err)
		}
	} else if len(names) == 0 {
		return usageError("stop: name a daemon, or use --all")
	}
	code := exitOK
	for _, name := range names {
		if c := stopOne(name); c > code {
			code = c
		}
	}
	return code
}

func stopOne(name string) int {
	dir, err := daemonDir(name)
	if err != nil {
		return fail(err)
	}
	how, err := client.Stop(context.Background(), dir)
	switch {
	case errors.Is(err, client.ErrStale):
		fmt.Println(err)
		return exitOK
	case errors.Is(err, client.ErrNotRunning):
		fmt.Printf("%s is not running\n", name)
		return exitOK
	case err != nil:
		return fail(err)
	}
	fmt.Printf("stopped %s: %s\n", name, how)
	return exitOK
}

func restartCommand() *command {
	return &command{
		name:    "restart",
		usage:   "NAME",
		summary: "restart NAME's command; start it if it is not running",
		help: `Restart the daemon's command and return once the new one is ready. While
its supervisor runs, the supervisor stays: it stops the command with the
stop schedule and starts it again at once with the definition it runs,
keeping its --listen sockets open, so that connections queue instead of
being refused. Otherwise the daemon is started again exactly as it was
started, with the environment it was started with (env files are read
again). Works on a stopped daemon too.`,
		run: runRestart,
	}
}

func runRestart(args []string) int {
	if len(args) != 1 {
		return usageError("restart: give exactly one name")
	}
	dir, err := daemonDir(args[0])
	if err != nil {
		return fail(err)
	}
	wait := client.ReadyVerdictTimeout(&definition.Definition{})
	if def, err := client.LoadDefinition(dir); err == nil {
		wait = client.ReadyVerdictTimeout(def)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	pid, err := client.Restart(ctx, dir)
	if err != nil {
		if def, derr := client.LoadDefinition(dir); derr == nil {
			logTail(def, logPath(dir, def))
		}
		return failStart(dir, fmt.Errorf("restart %s: %w", dir.Name, err))
	}
	fmt.Printf("restarted %s (pid %d)\n", dir.Name, pid)
	return exitOK
}
