package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

func startCommand() *command {
	return &command{
		name:    "start",
		usage:   "NAME [options] [--] CMD [ARG...]",
		summary: "start CMD as the daemon NAME; return once it runs",
		help: `Start CMD as the daemon NAME under its own supervisor, in the current
folder (--dir to change it), and return once it runs: with the default
--ready settled, once the program has been executed and has settled (it
waits for something: a connection, a timer, input), at most 1 s; so a
program that crashes at once is not reported started (--ready exec
returns once it has been executed). To wait longer, as
supervisord's startsecs does, use --ready after:DURATION; to wait for the
daemon to be really ready, another --ready mode.

If CMD cannot be started (not found, not executable, bad --dir, unknown
user), or exits during its start, the error and its last lines of stderr
are printed, and the exit status is 1. A start that never ran leaves
nothing behind; one that crashed stays, failed, in tend list and tend
status. If NAME is already running, its pid is printed; exit status 1.

Options may come before or after NAME; the first word after NAME starts
the command, and everything after it is the command's (or put -- first).
A command given as one argument that is not a program is read as a
Procfile line is: 'node worker.js' is split into words, and a line with
shell syntax ('node worker.js | grep job', $VAR, >, &&) runs as
/bin/sh -c LINE, which tend start says. One argument that names a
program (a path with blanks in it) runs as it is.

The command's stdout and stderr go to its log (see: tend logs). Every
process it starts belongs to the daemon, however it forks: a command that
daemonizes itself (exits 0 leaving its real server running) is followed,
by --pidfile or, without it, to the one process it left. It is restarted
per --restart with exponential backoff; after too many starts in a row it
is marked failed.`,
		flags:    func() *flagSet { return startFlags(&definition.Definition{}) },
		complete: "daemons",
		run:      runStart,
	}
}

func runStart(args []string) int {
	c := startCommand()
	def := &definition.Definition{}
	p, code, done := parseArgs(c, startFlags(def), args)
	if done {
		return code
	}
	if len(p.args) == 0 {
		return fail(usageErr("start", "give a name and a command: tend start NAME [options] -- CMD [ARG...]"))
	}
	name := p.args[0]
	if err := state.ValidateName(name); err != nil {
		return fail(err)
	}
	def.Name = name
	if len(p.command) == 0 {
		return fail(noCommand(name))
	}
	command, err := commandLine(def, p.command)
	if err != nil {
		return fail(err)
	}
	def, err = finishDefinition(def, command)
	if err != nil {
		return fail(err)
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	dir, err := store.Dir(name)
	if err != nil {
		return fail(err)
	}
	here := daemon.ForegroundReason(client.SupervisorConfig(dir)) != ""
	dir, existed, err := daemonFolder(store, name, here || !client.UseHost() || def.Isolated)
	if err != nil {
		return fail(err)
	}
	if here {
		// Under a service manager (or asked to): supervise right here.
		d, err := daemon.Detach(client.SupervisorConfig(dir))
		if err != nil {
			return failStart(store, dir, existed, err)
		}
		return superviseHere(d, dir, launchable(def))
	}
	pid, err := startDaemon(context.Background(), dir, def)
	if err != nil {
		code := failStart(store, dir, existed, err)
		printNotifyHint(dir, def)
		return code
	}
	fmt.Println(startedLine("started", dir, def, pid))
	bufferingHint(def, "")
	return exitOK
}

// startFlags declares the options of start, setting def: after its name,
// the first word that is not an option starts the command.
func startFlags(def *definition.Definition) *flagSet {
	fs := newFlagSet("start")
	fs.commandAt = 1
	definitionFlags(fs, def)
	return fs
}

// noCommand is the error for a start without a command; when the name is
// a program or a script, it shows how to run it.
func noCommand(name string) error {
	example := "sleep 60"
	if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
		example = "./" + filepath.Base(name)
		switch filepath.Ext(name) {
		case ".js", ".mjs", ".cjs":
			example = "node " + name
		case ".py":
			example = "python3 " + name
		case ".rb":
			example = "ruby " + name
		}
		base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		if state.ValidateName(base) == nil {
			return usageErr("start", "no command given: name the daemon, then give its command, as in: tend start %s -- %s", base, example)
		}
	}
	return usageErr("start", "no command given; put it after the name, as in: tend start %s -- %s", name, example)
}

// daemonFolder returns the daemon's folder, and says whether it was
// there. It creates it only for a supervisor that runs outside the host
// (local: this process, or one of its own): the host makes the folders of
// the daemons it runs, and is their only writer.
func daemonFolder(store *state.Store, name string, local bool) (state.Dir, bool, error) {
	dir, err := store.Dir(name)
	if err != nil {
		return dir, false, err
	}
	_, err = os.Lstat(dir.Path)
	existed := !errors.Is(err, fs.ErrNotExist)
	if !local {
		return dir, existed, nil
	}
	dir, err = store.Create(name)
	return dir, existed, err
}

// startDaemon starts def in dir, and the start is watched (see
// watchStart): the daemon's pid once it runs and has settled, or why it
// did not start.
func startDaemon(ctx context.Context, dir state.Dir, def *definition.Definition) (started, error) {
	s, err := client.StartSettled(ctx, dir, launchable(def))
	return s, asStartError(err)
}

// failStart reports a start that did not happen. A daemon whose folder
// this start created and that never ran is forgotten: nothing of it is
// kept (a crash at start is kept, for tend status to show).
func failStart(store *state.Store, dir state.Dir, existed bool, err error) int {
	if errors.Is(err, daemon.ErrAlreadyRunning) {
		return fail(alreadyRunning(dir))
	}
	var se *startError
	var he *client.HostError
	if errors.As(err, &se) {
		printLines(fmt.Sprintf("last lines of %s's stderr (%s):", dir.Name, se.log), se.stderr)
	} else if errors.As(err, &he) && he.Body.Log != "" {
		logTail(dir.Name, he.Body.Log)
	} else if !existed && neverRan(dir) {
		forget(store, dir)
	}
	return fail(err)
}

// neverRan reports whether the daemon's command never ran: its
// supervisor failed before it wrote its first record (which it writes
// before anything starts), or it recorded that the command could not be
// executed. It waits a moment for the supervisor, which gave its verdict,
// to exit. Anything else (a record of a start under way, a supervisor
// killed at any point) may mean processes to find: the folder stays.
func neverRan(dir state.Dir) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		v, err := client.Inspect(dir)
		switch {
		case errors.Is(err, client.ErrUnknown):
			return true
		case err != nil, len(v.Leftovers) > 0, v.Restarts > 0:
			return false
		case v.SupervisorAlive && time.Now().Before(deadline):
			time.Sleep(5 * time.Millisecond)
			continue
		}
		return !v.SupervisorAlive && v.Condition == client.Condition(status.Failed) &&
			v.LastExit != nil && strings.HasPrefix(v.LastExit.Description, "cannot run")
	}
}

func alreadyRunning(dir state.Dir) error {
	if v, err := client.Inspect(dir); err == nil && v.PID > 0 {
		return fmt.Errorf("%s is already running (pid %d); to run it with a new command or options: tend stop %s, then tend start again",
			dir.Name, v.PID, dir.Name)
	}
	return fmt.Errorf("%s is already running", dir.Name)
}

func superviseCommand() *command {
	return &command{
		name:    client.SuperviseCommand,
		usage:   "NAME",
		summary: "(internal) be NAME's supervisor, as tend start runs it",
		run:     runSupervise,
	}
}

// runSupervise is the supervisor that client.Start launches: the daemon
// library detaches it, and the definition comes on its first extra
// descriptor.
func runSupervise(args []string) int {
	// One P: a supervisor waits nearly all its life, and a second P's
	// span caches and threads cost every daemon ~0.2 MiB (BENCHMARKS.md).
	runtime.GOMAXPROCS(1)
	if len(args) != 1 {
		return fail(usageErr("", "supervise is tend's own command; use: tend start"))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	dir, err := store.Dir(args[0])
	if err != nil {
		return fail(err)
	}
	d, err := daemon.Detach(client.SupervisorConfig(dir))
	if err != nil {
		return fail(err)
	}
	files := d.Files()
	if len(files) != 1 {
		d.Fail(errors.New("no definition was passed: start daemons with tend start"))
		return exitFailure
	}
	def, err := client.ReadDefinition(files[0])
	files[0].Close()
	if err == nil && def.Name != dir.Name {
		err = fmt.Errorf("the definition passed is %q's, not %q's", def.Name, dir.Name)
	}
	if err != nil {
		d.Fail(err)
		return exitFailure
	}
	return superviseHere(d, dir, def)
}

// superviseHere runs the supervisor in this process until the daemon is
// stopped or gives up.
func superviseHere(d *daemon.Daemon, dir state.Dir, def *definition.Definition) int {
	defer d.Close()
	s, err := supervisor.Start(supervisor.Config{Definition: def, Dir: dir})
	if err != nil {
		d.Fail(errors.New(userMessage(err)))
		return exitFailure
	}
	if err := s.WaitReady(d.Context()); err != nil {
		// Nothing keeps running: stop the daemon, drain its output into
		// the log, and show the end of the log with the reason.
		s.Stop(context.Background())
		s.Wait(context.Background())
		logTail(def.Name, s.Record().Log)
		d.Fail(errors.New(userMessage(err)))
		return exitFailure
	}
	d.Ready()
	s.Wait(d.Context())
	return exitOK
}
