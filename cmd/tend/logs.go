package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/state"
)

func logsCommand() *command {
	return &command{
		name:    "logs",
		aliases: []string{"log"},
		usage:   "[NAME...] [-n N] [-f] [--since D] [--stdout|--stderr]",
		summary: "print daemons' output; follow it",
		help: `Print the last lines of a daemon's output, across rotated files. Each line
is "TIMESTAMP STREAM TEXT" (RFC 3339 UTC with microseconds, stdout or
stderr) unless the daemon was started with --no-timestamps.

With several names, or none (every daemon; with -p, a project's), the
lines of all are interleaved in time order, each after the time and the
daemon's name (colored on a terminal), as foreman shows them; -n is then
per daemon (default 10), and -f also follows daemons that start later.

-n means what it means to tail, for one daemon or several, with -f or
without: the last N lines; -n 0 none (with -f, only the lines to come);
-n all every line. With --since and no -n, every line of that time.`,
		flags: func() *flagSet {
			var o logsOpts
			return logsFlags(&o)
		},
		complete: "daemons",
		run:      runLogs,
	}
}

type logsOpts struct {
	n              string
	follow         bool
	since          string
	stdout, stderr bool
	rotate, reopen bool
	project        string
}

func logsFlags(o *logsOpts) *flagSet {
	fs := newFlagSet("logs")
	fs.str(&o.n, "lines", 'n', "N", "print the last N lines (default 100, or 10 per daemon for several, or all with --since); 0: none, as tail -n 0; all: every line")
	fs.boolean(&o.follow, "follow", 'f', "follow: print new lines as they come, across rotations")
	fs.str(&o.since, "since", 0, "DURATION", "only lines of the last DURATION (10m, 2h, 90)")
	fs.boolean(&o.stdout, "stdout", 0, "only standard output")
	fs.boolean(&o.stderr, "stderr", 0, "only standard error")
	fs.str(&o.project, "project", 'p', "PROJECT", "the daemons of PROJECT (see: tend help up)")
	fs.boolean(&o.rotate, "rotate", 0, "rotate the log now, instead of printing")
	fs.boolean(&o.reopen, "reopen", 0, "reopen the log file after an external logrotate renamed it (in logrotate's postrotate)")
	return fs
}

func runLogs(args []string) int {
	var o logsOpts
	p, code, done := parseArgs(logsCommand(), logsFlags(&o), args)
	if done {
		return code
	}
	if o.stdout && o.stderr {
		return fail(usageErr("logs", "--stdout and --stderr exclude each other"))
	}
	var filter logcap.Filter
	switch {
	case o.stdout:
		filter.Stream = logcap.Stdout
	case o.stderr:
		filter.Stream = logcap.Stderr
	}
	if o.since != "" {
		d, err := definition.ParseDuration(o.since)
		if err != nil {
			return fail(usageErr("logs", "--since: %v", err))
		}
		filter.Since = time.Now().Add(-d)
	}
	n, err := lineCount(o.n, o.since != "")
	if err != nil {
		return fail(err)
	}
	if o.rotate || o.reopen {
		if len(p.args) == 0 {
			return fail(usageErr("logs", "name the daemons whose log to rotate or reopen"))
		}
		return logRequests(p.args, o.reopen)
	}
	if len(p.args) == 1 && o.project == "" {
		return logsOf(p.args[0], n, o.follow, filter)
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	if n == defaultLines {
		n = 10
	}
	src := &logSources{store: store, names: p.args, project: o.project}
	if err := src.check(); err != nil {
		return fail(err)
	}
	if !o.follow {
		return src.print(n, filter)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := src.follow(ctx, n, filter); err != nil {
		return fail(err)
	}
	return exitOK
}

// logsOf prints one daemon's log as it is stored.
func logsOf(name string, n int, follow bool, filter logcap.Filter) int {
	dir, err := daemonDir(name)
	if err != nil {
		return fail(err)
	}
	if n == defaultLines {
		n = 100
	}
	path := daemonLog(dir)
	if follow {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := logcap.Follow(ctx, path, n, os.Stdout, filter); err != nil {
			return fail(logError(dir, err))
		}
		return exitOK
	}
	if n == 0 {
		return exitOK // as tail -n 0
	}
	lines, err := logcap.Tail(path, max(n, 0), filter)
	if err != nil {
		return fail(logError(dir, err))
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	if len(lines) == 0 {
		if def, ok := definitionOf(dir); ok {
			bufferingHint(def, def.Source)
		}
	}
	return exitOK
}

// Line counts of tend logs -n, besides N > 0 and 0 (none).
const (
	allLines     = -1 // -n all, or --since without -n: every line
	defaultLines = -2 // no -n: the default of one daemon, or of several
)

// lineCount parses -n: a number of lines, 0 for none (as tail -n 0), or
// "all"; without -n, every line when --since is given (since), else
// defaultLines.
func lineCount(s string, since bool) (int, error) {
	switch {
	case s == "" && since:
		return allLines, nil
	case s == "":
		return defaultLines, nil
	case s == "all":
		return allLines, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, usageErr("logs", "-n %q: want a number of lines, such as 20 (0: none; all: every line)", s)
	}
	return v, nil
}

func logError(dir state.Dir, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s has no log yet (%s)", dir.Name, daemonLog(dir))
	}
	return fmt.Errorf("read %s's log: %w", dir.Name, err)
}

// daemonLog is the path of the daemon's output log.
func daemonLog(dir state.Dir) string {
	if def, err := client.LoadDefinition(dir); err == nil && def.Log != "" {
		return def.Log
	}
	return dir.LogFile()
}

func definitionOf(dir state.Dir) (*definition.Definition, bool) {
	def, err := client.LoadDefinition(dir)
	if err != nil {
		return nil, false
	}
	return storedDefinition(def), true
}

// logRequests asks the supervisors to rotate or reopen their logs.
func logRequests(names []string, reopen bool) int {
	op := "rotate"
	if reopen {
		op = "reopen"
	}
	code := exitOK
	for _, name := range names {
		dir, err := daemonDir(name)
		if err == nil {
			err = client.LogRequest(context.Background(), dir, op)
			if err != nil {
				err = fmt.Errorf("%s %s's log: %w", op, dir.Name, err)
			}
		}
		if err != nil {
			code = max(code, fail(err))
		}
	}
	return code
}
