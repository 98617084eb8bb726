package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/logcap"
)

func logsCommand() *command {
	return &command{
		name:    "logs",
		aliases: []string{"log"},
		usage:   "NAME [-n N] [-f] [--since D] [--stdout|--stderr]",
		summary: "print the daemon's output log; follow it",
		help: `Print the last lines of the daemon's output, across rotated files.

Each line is "TIMESTAMP STREAM TEXT" (RFC 3339 UTC with microseconds,
stdout or stderr) unless the daemon was started with --no-timestamps.

Options:
  -n N        print the last N lines (default 100; 0: all)
  -f          follow: print new lines as they come, across rotations
  --since D   only lines of the last D (e.g. 10m, 2h)
  --stdout    only standard output
  --stderr    only standard error
  --rotate    rotate the log now (instead of printing)
  --reopen    reopen the log file, after an external logrotate renamed it;
              use in logrotate's postrotate: tend logs NAME --reopen`,
		run: runLogs,
	}
}

func runLogs(args []string) int {
	fs := flag.NewFlagSet("tend logs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("n", 100, "")
	follow := fs.Bool("f", false, "")
	sinceD := fs.Duration("since", 0, "")
	stdout := fs.Bool("stdout", false, "")
	stderr := fs.Bool("stderr", false, "")
	rotate := fs.Bool("rotate", false, "")
	reopen := fs.Bool("reopen", false, "")
	name, rest := "", args
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return usageError("logs: %v (see: tend help logs)", err)
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if name == "" || fs.NArg() != 0 {
		return usageError("logs: usage: tend logs NAME [-n N] [-f] [--since D] [--stdout|--stderr]")
	}
	if *stdout && *stderr {
		return usageError("logs: --stdout and --stderr exclude each other")
	}
	dir, err := daemonDir(name)
	if err != nil {
		return fail(err)
	}
	if *rotate || *reopen {
		op := "rotate"
		if *reopen {
			op = "reopen"
		}
		if err := client.LogRequest(context.Background(), dir, op); err != nil {
			return fail(err)
		}
		return exitOK
	}
	path := dir.LogFile()
	if def, err := client.LoadDefinition(dir); err == nil && def.Log != "" {
		path = def.Log
	}
	var filter logcap.Filter
	if *stdout {
		filter.Stream = logcap.Stdout
	}
	if *stderr {
		filter.Stream = logcap.Stderr
	}
	if *sinceD > 0 {
		filter.Since = time.Now().Add(-*sinceD)
	}
	if *follow {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := logcap.Follow(ctx, path, *n, os.Stdout, filter); err != nil {
			return fail(err)
		}
		return exitOK
	}
	lines, err := logcap.Tail(path, *n, filter)
	if err != nil {
		return fail(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	return exitOK
}
