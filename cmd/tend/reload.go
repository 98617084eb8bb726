package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
)

func reloadCommand() *command {
	return &command{
		name:    "reload",
		usage:   "NAME",
		summary: "replace NAME with no moment down: the new one is ready before the old one goes",
		help: `Start a new incarnation of the daemon beside the running one, with the
same --listen sockets and the definition as stored (env files read
again), wait until it is ready (per --ready), then stop the old one with
its stop schedule. With several instances, they are replaced one at a
time, never fewer ready than there are instances. If the new incarnation
exits, or is not ready in time, it is stopped, the old one serves on, and
tend reload exits 1 with the reason and the last lines of the log.

With --reload-signal (nginx: HUP), tend reload sends that signal to the
main process instead, and with --ready notify waits for READY=1 again.`,
		flags:    func() *flagSet { return newFlagSet("reload") },
		complete: "daemons",
		run:      runReload,
	}
}

func runReload(args []string) int {
	p, code, done := parseArgs(reloadCommand(), newFlagSet("reload"), args)
	if done {
		return code
	}
	if len(p.args) != 1 {
		return fail(usageErr("reload", "give one name: tend reload NAME"))
	}
	dir, err := daemonDir(p.args[0])
	if err != nil {
		return fail(err)
	}
	def, derr := client.LoadDefinition(dir)
	if derr != nil {
		def = &definition.Definition{}
	}
	def = storedDefinition(def)
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(def)*timeMultiple(def))
	defer cancel()
	pid, err := client.Reload(ctx, dir)
	if err != nil {
		if derr == nil && !errors.Is(err, client.ErrNotRunning) {
			// Why the new incarnation failed is in its log.
			logTail(def.Name, logPath(dir, def))
		}
		return fail(opError("reload", dir.Name, err))
	}
	fmt.Printf("reloaded %s (pid %d)\n", dir.Name, pid)
	return exitOK
}

// timeMultiple is how many readiness waits a reload may take: one per
// instance.
func timeMultiple(def *definition.Definition) time.Duration {
	return time.Duration(def.InstanceCount())
}

func scaleCommand() *command {
	return &command{
		name:    "scale",
		usage:   "NAME N",
		summary: "run N instances of NAME, sharing its --listen sockets",
		help: `Run N instances of the daemon under its supervisor (see --instances):
start the missing ones and return once they are ready, or stop the ones
above N (the highest first) and return once they are gone. Each instance
finds its number, 0 to N-1, in TEND_INSTANCE.`,
		flags:    func() *flagSet { return newFlagSet("scale") },
		complete: "daemons",
		run:      runScale,
	}
}

func runScale(args []string) int {
	p, code, done := parseArgs(scaleCommand(), newFlagSet("scale"), args)
	if done {
		return code
	}
	if len(p.args) != 2 {
		return fail(usageErr("scale", "give a name and a number: tend scale NAME N"))
	}
	n, err := strconv.Atoi(p.args[1])
	if err != nil || n < 1 || n > definition.MaxInstances {
		return fail(usageErr("scale", "%q: give a number of instances from 1 to %d", p.args[1], definition.MaxInstances))
	}
	dir, err := daemonDir(p.args[0])
	if err != nil {
		return fail(err)
	}
	def, derr := client.LoadDefinition(dir)
	if derr != nil {
		def = &definition.Definition{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(def))
	defer cancel()
	if err := client.Scale(ctx, dir, n); err != nil {
		return fail(opError("scale", dir.Name, err))
	}
	fmt.Printf("scaled %s to %d %s\n", dir.Name, n, plural(n, "instance", "instances"))
	return exitOK
}
