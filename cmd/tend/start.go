package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/service"
	"github.com/tendhq/tend/internal/state"
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

The command's stdout and stderr go to its log (see: tend logs). It runs in
its own process group, and is restarted per --restart with exponential
backoff; after too many starts in a row it is marked failed.

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
	if err := hideEnvFromArgs(def); err != nil {
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
	return startSupervisor(dir, def)
}

// startSupervisor makes this process the daemon's supervisor with the
// daemon package. In the terminal it returns only on errors before the
// supervisor exists; otherwise Detach exits with the supervisor's verdict.
func startSupervisor(dir state.Dir, def *service.Definition) int {
	d, err := daemon.Detach(daemon.Config{
		Name:    "tend",
		PIDFile: dir.SupervisorPIDFile(),
		// The supervisor's own stderr (a panic, say); the command's output
		// goes to its log.
		LogFile: dir.Path + "/supervisor.log",
		// Every file the supervisor opens by a name a user gives (env
		// files, logs, pidfile) is opened with O_NOCTTY, and its own files
		// live in its private folder, so it may stay a session leader
		// (daemon(7)): one exec less.
		SkipSecondFork: true,
		// The supervisor says ready or not within the daemon's own ready
		// timeout, and a failed daemon is stopped before it says not.
		ReadyTimeout: readyVerdictTimeout(def),
		OnReady: func(int) {
			if v, err := service.Inspect(dir); err == nil && v.PID > 0 {
				fmt.Printf("started %s (pid %d)\n", def.Name, v.PID)
			} else {
				fmt.Printf("started %s\n", def.Name)
			}
		},
	})
	if err != nil {
		var locked *pidfile.LockedError
		if errors.As(err, &locked) {
			return fail(alreadyRunning(dir))
		}
		return fail(err)
	}
	// In the daemon, or in the foreground when Detach decided so
	// (TEND_FOREGROUND, a service manager): supervise right here.
	return superviseHere(d, dir, def)
}

func alreadyRunning(dir state.Dir) error {
	if v, err := service.Inspect(dir); err == nil && v.PID > 0 {
		return fmt.Errorf("%s is already running (pid %d)", dir.Name, v.PID)
	}
	return fmt.Errorf("%s is already running", dir.Name)
}

// superviseHere runs the supervisor in this process until the daemon is
// stopped or gives up.
func superviseHere(d *daemon.Daemon, dir state.Dir, def *service.Definition) int {
	defer d.Close()
	s, err := service.Start(service.Config{Definition: def, Dir: dir})
	if err != nil {
		d.Fail(err)
		return exitFailure
	}
	if err := s.WaitReady(d.Context()); err != nil {
		// Nothing keeps running: stop the child, drain its output into the
		// log, and show the end of the log with the reason.
		s.Stop(context.Background())
		s.Wait(context.Background())
		logTail(def, s.Snapshot().Log)
		d.Fail(err)
		return exitFailure
	}
	d.Ready()
	s.Wait(d.Context())
	return exitOK
}

// readyVerdictTimeout bounds the launcher's wait: the daemon's ready
// timeout, the stop schedule of a daemon that was not ready, and a margin.
func readyVerdictTimeout(def *service.Definition) time.Duration {
	t := def.ReadyTimeout
	if t <= 0 {
		t = service.DefaultReadyTimeout
	}
	if sched, err := def.Schedule(); err == nil {
		for _, step := range sched {
			t += step.Wait
		}
	}
	return t + 30*time.Second
}

// hiddenEnvVar carries the --env values of tend start from the launcher to
// the supervisor it re-executes, instead of its command line: a process's
// command line is readable by every user (ps), its environment only by its
// owner.
const hiddenEnvVar = "TEND_START_ENV"

// hideEnvFromArgs moves def.Env out of os.Args (which the daemon package
// re-executes) into hiddenEnvVar; in the re-executed stages, it puts them
// back into def.
func hideEnvFromArgs(def *service.Definition) error {
	if v, ok := os.LookupEnv(hiddenEnvVar); ok {
		if len(def.Env) > 0 {
			return nil // a tend start of its own, with --env: not ours to take
		}
		var env []string
		if err := json.Unmarshal([]byte(v), &env); err != nil {
			return fmt.Errorf("%s: %w", hiddenEnvVar, err)
		}
		def.Env = env
		return nil
	}
	if len(def.Env) == 0 {
		return nil
	}
	b, err := json.Marshal(def.Env)
	if err != nil {
		return err
	}
	os.Setenv(hiddenEnvVar, string(b))
	withoutEnv := *def
	withoutEnv.Env = nil
	os.Args = append([]string{os.Args[0], "start", def.Name}, withoutEnv.Args()...)
	return nil
}
