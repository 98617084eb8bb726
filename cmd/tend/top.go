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
		usage:   "[-p PROJECT] [--remote URL --token-file FILE] [NAME...]",
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

With --remote, the view is of the host whose API serves at URL (tend api
listen ADDR --token-file FILE there), with the token in FILE: the same
view, since it is built on the API alone (the event stream, the logs,
/metrics for CPU and memory, the operations); the API does not say which
daemons are critical, so there no key asks first.

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
	project           string
	remote, tokenFile string
}

func topFlags(o *topOpts) *flagSet {
	fs := newFlagSet("top")
	fs.str(&o.project, "project", 'p', "PROJECT", "only the daemons of PROJECT")
	fs.str(&o.remote, "remote", 0, "URL", "the host whose API serves at URL (http://HOST:PORT, see: tend help api), not this machine's")
	fs.str(&o.tokenFile, "token-file", 0, "FILE", "with --remote: the file of the host's token (tend api listen --token-file)")
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
	cfg := top.Config{Project: o.project, Names: p.args, Where: "local", Color: colors(os.Stdout)}
	var host top.Host
	switch {
	case o.remote != "":
		if o.tokenFile == "" {
			return fail(usageErr("top", "--remote %s: give the file of the host's token, --token-file FILE", o.remote))
		}
		api, err := remoteAPI(o.remote, o.tokenFile)
		if err == nil {
			err = api.check()
		}
		if err != nil {
			return fail(err)
		}
		host, cfg.Where = &remoteHost{api: api, usage: usageSampler{api: api}}, api.base
	case o.tokenFile != "":
		return fail(usageErr("top", "--token-file is the token of a --remote host: give --remote URL too"))
	default:
		store, err := openStore()
		if err != nil {
			return fail(err)
		}
		host = newLocalHost(store)
	}
	if !isTerminal(os.Stdin) || !isTerminal(os.Stdout) {
		return fail(fmt.Errorf("tend top needs a terminal; for scripts: tend list --json, or the host's events (GET /v1/events)"))
	}
	if os.Getenv("TERM") == "dumb" {
		return fail(fmt.Errorf("tend top needs a terminal that can move its cursor (TERM is dumb); tend list shows the daemons"))
	}
	if err := top.Run(context.Background(), host, cfg); err != nil {
		return fail(fmt.Errorf("top: %w", err))
	}
	return exitOK
}
