package main

import (
	"context"
	"fmt"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/proc"
)

func signalCommand() *command {
	return &command{
		name:    "signal",
		aliases: []string{"kill"},
		usage:   "[--all] NAME SIGNAL",
		summary: "send a signal (name or number) to a daemon",
		help: `Send SIGNAL (TERM, SIGHUP, hup, 15, ...) to the daemon's main process, or
with --all to every process of the daemon (all it started, however they
forked). A daemon whose main process is not known (it daemonized itself
and left several processes, none clearly the main one: see tend status)
gets it on all its processes. Processes are identified by pid and start
time, so a reused pid is never signalled. Sending a signal does not stop
supervision: a daemon killed this way is restarted per its policy; to
stop it: tend stop NAME.`,
		flags: func() *flagSet {
			var all bool
			return signalFlags(&all)
		},
		complete: "daemons",
		run:      runSignal,
	}
}

func signalFlags(all *bool) *flagSet {
	fs := newFlagSet("signal")
	fs.boolean(all, "all", 'a', "signal every process of the daemon")
	fs.boolean(all, "group", 0, "the old name of --all").hidden = true
	return fs
}

func runSignal(args []string) int {
	var all bool
	p, code, done := parseArgs(signalCommand(), signalFlags(&all), args)
	if done {
		return code
	}
	if len(p.args) != 2 {
		return fail(usageErr("signal", "give a name and a signal: tend signal [--all] NAME SIGNAL"))
	}
	sig, err := proc.ParseSignal(p.args[1])
	if err != nil {
		return fail(usageErr("signal", "%v", userMessage(err)))
	}
	dir, err := daemonDir(p.args[0])
	if err != nil {
		return fail(err)
	}
	pid, n, err := client.Signal(context.Background(), dir, sig, all)
	if err != nil {
		return fail(opError("signal", dir.Name, err))
	}
	target := fmt.Sprintf("pid %d", pid)
	if pid == 0 {
		target = fmt.Sprintf("all %d of its processes", n)
	}
	fmt.Printf("sent SIG%s to %s (%s)\n", proc.SignalName(sig), dir.Name, target)
	return exitOK
}
