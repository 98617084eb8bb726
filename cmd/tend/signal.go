package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/proc"
)

func signalCommand() *command {
	return &command{
		name:    "signal",
		usage:   "[--all] NAME SIG",
		summary: "send a signal (name or number) to the daemon",
		help: `Send SIG (TERM, SIGHUP, hup, 15, ...) to the daemon's main process, or
with --all to every process of the daemon (all it started, however they
forked; --group is the old name of --all). A daemon whose main process is
not known (it daemonized itself and left several processes, none clearly
the main one: see tend status) gets it on all its processes. Processes
are identified by pid and start time, so a reused pid is never
signalled. Sending a signal does not stop supervision: a daemon killed
this way is restarted per its policy.`,
		run: runSignal,
	}
}

func runSignal(args []string) int {
	fs := flag.NewFlagSet("tend signal", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "signal every process of the daemon")
	fs.BoolVar(all, "group", false, "the old name of --all")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return usageError("signal: usage: tend signal [--all] NAME SIG")
	}
	sig, err := proc.ParseSignal(fs.Arg(1))
	if err != nil {
		return usageError("signal: %v", err)
	}
	dir, err := daemonDir(fs.Arg(0))
	if err != nil {
		return fail(err)
	}
	pid, n, err := client.Signal(context.Background(), dir, sig, *all)
	if err != nil {
		return fail(err)
	}
	target := fmt.Sprintf("pid %d", pid)
	if pid == 0 {
		target = fmt.Sprintf("all %d of its processes", n)
	}
	fmt.Printf("sent SIG%s to %s (%s)\n", proc.SignalName(sig), fs.Arg(0), target)
	return exitOK
}
