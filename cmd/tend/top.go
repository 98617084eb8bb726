package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/top"
)

func topCommand() *command {
	return &command{
		name:    "top",
		usage:   "[-p PROJECT] [NAME...]",
		summary: "a full-screen live view of every daemon: states, CPU, memory, logs, keys to act",
		help: `Show every daemon (of PROJECT with -p, or those named) in a table that
follows the host's changes as they happen: name, state, pid, uptime,
restarts, last exit, CPU and memory (sampled once a second while the view
is open), readiness or health, project; a daemon of several instances has
a line for each under it. The selected daemon's log follows below.

Keys: up/down select; r restart; s stop or start; R reload; + and - scale;
k send a signal; / filter; Enter or l the log full screen; f stop
following the log, to scroll it; ? help; q or Ctrl-C quit. A key that
stops a critical daemon (--critical) asks first.

It needs a terminal; without colors (NO_COLOR, a terminal that has none)
it is plain text. For scripts: tend list --json, or the host's event
stream (GET /v1/events on $TEND_HOME/tend.sock).`,
		flags: func() *flagSet {
			var o topOpts
			return topFlags(&o)
		},
		complete: "daemons",
		run:      runTop,
	}
}

type topOpts struct {
	project string
}

func topFlags(o *topOpts) *flagSet {
	fs := newFlagSet("top")
	fs.str(&o.project, "project", 'p', "PROJECT", "only the daemons of PROJECT")
	return fs
}

func runTop(args []string) int {
	var o topOpts
	p, code, done := parseArgs(topCommand(), topFlags(&o), args)
	if done {
		return code
	}
	if o.project != "" {
		if err := validProject(o.project); err != nil {
			return fail(usageErr("top", "-p %q: not a project's name (see: tend help up)", o.project))
		}
	}
	for _, name := range p.args {
		if err := state.ValidateName(name); err != nil {
			return fail(err)
		}
	}
	if !isTerminal(os.Stdin) || !isTerminal(os.Stdout) {
		return fail(fmt.Errorf("tend top needs a terminal; for scripts: tend list --json, or the host's events (GET /v1/events)"))
	}
	if os.Getenv("TERM") == "dumb" {
		return fail(fmt.Errorf("tend top needs a terminal that can move its cursor (TERM is dumb); tend list shows the daemons"))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	cfg := top.Config{Project: o.project, Names: p.args, Where: "local", Color: colors(os.Stdout)}
	if err := top.Run(context.Background(), newLocalHost(store), cfg); err != nil {
		return fail(fmt.Errorf("top: %w", err))
	}
	return exitOK
}
