package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/service"
)

func signalCommand() *command {
	return &command{
		name:    "signal",
		usage:   "[--group] NAME SIG",
		summary: "send a signal (name or number) to the daemon",
		help: `Send SIG (TERM, SIGHUP, hup, 15, ...) to the daemon's main process, or
with --group to its whole process group. The process is identified by pid
and start time, so a reused pid is never signalled. Sending a signal does
not stop supervision: a daemon killed this way is restarted per its policy.`,
		run: runSignal,
	}
}

func runSignal(args []string) int {
	fs := flag.NewFlagSet("tend signal", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	group := fs.Bool("group", false, "signal the whole process group")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return usageError("signal: usage: tend signal [--group] NAME SIG")
	}
	sig, err := proc.ParseSignal(fs.Arg(1))
	if err != nil {
		return usageError("signal: %v", err)
	}
	dir, err := daemonDir(fs.Arg(0))
	if err != nil {
		return fail(err)
	}
	pid, err := service.Signal(context.Background(), dir, sig, *group)
	if err != nil {
		return fail(err)
	}
	target := fmt.Sprintf("pid %d", pid)
	if *group {
		target = fmt.Sprintf("process group %d", pid)
	}
	fmt.Printf("sent SIG%s to %s (%s)\n", proc.SignalName(sig), fs.Arg(0), target)
	return exitOK
}
