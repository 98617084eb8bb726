package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

func startCommand() *command {
	return &command{
		name:    "start",
		usage:   "NAME [options] -- CMD [ARG...]",
		summary: "start CMD as daemon NAME; return once it runs",
		help: `Start CMD as the daemon NAME under its own supervisor, and return once
it runs. If CMD cannot be started (not found, not executable, bad working
directory, unknown user), the error is printed, nothing keeps running and
NAME is not marked running; exit status 1. If NAME is already running, its
pid is printed; exit status 1.

The command's stdout and stderr go to its log (see: tend logs). Every
process it starts belongs to the daemon, however it forks: a command that
daemonizes itself (exits 0 leaving its real server running) is followed,
by --pidfile or, without it, to the one process it left. It is restarted
per --restart with exponential backoff; after too many starts in a row it
is marked failed.

Options:
` + flagHelp("start", nil),
		run: runStart,
	}
}

func runStart(args []string) int {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return usageError("start: give a name first: tend start NAME [options] -- CMD [ARG...]")
	}
	name := args[0]
	if err := state.ValidateName(name); err != nil {
		return fail(err)
	}
	def, err := parseDefinition("start", name, args[1:], nil)
	if err != nil {
		return fail(err)
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	dir, err := store.Create(name)
	if err != nil {
		return fail(err)
	}
	if daemon.ForegroundReason(client.SupervisorConfig(dir)) != "" {
		// Under a service manager (or asked to): supervise right here.
		d, err := daemon.Detach(client.SupervisorConfig(dir))
		if err != nil {
			return failStart(dir, err)
		}
		return superviseHere(d, dir, def)
	}
	pid, err := client.Start(context.Background(), dir, def)
	if err != nil {
		return failStart(dir, err)
	}
	if pid > 0 {
		fmt.Printf("started %s (pid %d)\n", name, pid)
	} else {
		fmt.Printf("started %s\n", name)
	}
	return exitOK
}

// failStart reports a start that did not happen.
func failStart(dir state.Dir, err error) int {
	if errors.Is(err, daemon.ErrAlreadyRunning) {
		return fail(alreadyRunning(dir))
	}
	return fail(err)
}

func alreadyRunning(dir state.Dir) error {
	if v, err := client.Inspect(dir); err == nil && v.PID > 0 {
		return fmt.Errorf("%s is already running (pid %d)", dir.Name, v.PID)
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
	if len(args) != 1 {
		return usageError("supervise: this command is tend's own; use: tend start")
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
		d.Fail(err)
		return exitFailure
	}
	if err := s.WaitReady(d.Context()); err != nil {
		// Nothing keeps running: stop the daemon, drain its output into
		// the log, and show the end of the log with the reason.
		s.Stop(context.Background())
		s.Wait(context.Background())
		logTail(def, s.Record().Log)
		d.Fail(err)
		return exitFailure
	}
	d.Ready()
	s.Wait(d.Context())
	return exitOK
}
