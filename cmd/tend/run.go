package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

func runCommand() *command {
	return &command{
		name:    "run",
		usage:   "[--name NAME] [options] [--] CMD [ARG...]",
		summary: "supervise CMD in the foreground (systemd, containers)",
		help: `Run the same supervisor as start, in the foreground: for a systemd unit,
or as a container's PID 1. Signals HUP, USR1, USR2, QUIT and WINCH are
forwarded to the command; TERM and INT stop it with the stop schedule.
Zombies are reaped (tend is a child subreaper, or PID 1). The command is
restarted per --restart (each restart is said on stderr), and tend run
exits with the command's status (128+N after signal N) once it is not
restarted: --restart never to exit with it at once.

Without --log the command's output is tend's own (for the journal or the
container runtime). With --name the daemon is also registered in the state
directory, so that status, logs, signal and stop work on it.`,
		flags: func() *flagSet {
			var name string
			return runFlags(&name, &definition.Definition{})
		},
		run: runRun,
	}
}

func runFlags(name *string, def *definition.Definition) *flagSet {
	fs := newFlagSet("run")
	fs.commandAt = 0
	fs.str(name, "name", 0, "NAME", "register the daemon under NAME (for status, logs, stop)")
	definitionFlags(fs, def)
	return fs
}

// forwarded are the signals tend run passes on to the command.
var forwarded = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH}

func runRun(args []string) int {
	var name string
	def := &definition.Definition{}
	p, code, done := parseArgs(runCommand(), runFlags(&name, def), args)
	if done {
		return code
	}
	if len(p.args) > 0 {
		return fail(usageErr("run", "unexpected %q before the command", p.args[0]))
	}
	// The name of a --listen socket by default.
	def.Name = "run"
	if name != "" {
		def.Name = name
	}
	command, err := commandLine(def, p.command)
	if err != nil {
		return fail(err)
	}
	def, err = finishDefinition(def, command)
	if err != nil {
		return fail(err)
	}
	var dir state.Dir
	if name != "" {
		if err := state.ValidateName(name); err != nil {
			return fail(err)
		}
		store, err := openStore()
		if err != nil {
			return fail(err)
		}
		if dir, err = store.Create(name); err != nil {
			return fail(err)
		}
		unlock, err := lockSupervisor(dir)
		if err != nil {
			return fail(err)
		}
		defer unlock()
	}
	// Before the command starts: a descriptor tend run inherited without
	// close-on-exec (a shell's, a test's) must not reach it, and a signal
	// tend run inherited ignored (nohup's SIGHUP) must reach it with its
	// default action: exec resets handled signals, not ignored ones.
	proc.CloseOnExecExcept(listenFDs())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fwd := make(chan os.Signal, 8)
	signal.Notify(fwd, forwarded...)
	defer signal.Stop(fwd)
	s, err := supervisor.Start(supervisor.Config{Definition: launchable(def), Dir: dir, Passthrough: true})
	if err != nil {
		return fail(err)
	}
	go func() {
		for sig := range fwd {
			s.Signal(sig.(syscall.Signal), false)
		}
	}()
	if code, ok := runReady(ctx, s, def); !ok {
		return code
	}
	who := "the command"
	if name != "" {
		who = name
	}
	go sayRestarts(s, def, who)
	code = s.Wait(ctx)
	if r := s.Record(); r.State == status.Failed && r.Err != "" {
		fmt.Fprintf(os.Stderr, "tend: %s failed: %s\n", who, r.Err)
	}
	return code
}

// sayRestarts tells tend run's stderr when the command ended and what the
// supervisor does about it: it is restarted, or given up on. It follows the
// supervisor's record as it changes.
func sayRestarts(s *supervisor.Supervisor, def *definition.Definition, who string) {
	changed := s.Changed()
	r := s.Record()
	seen := r.Restarts
	var lastExit *status.Exit
	for {
		select {
		case <-s.Done():
			return
		case <-changed:
		}
		changed = s.Changed()
		r = s.Record()
		if r.LastExit != nil && r.LastExit != lastExit && r.LastExit.At != timeOf(lastExit) {
			lastExit = r.LastExit
			switch {
			case r.State == status.BackingOff:
				fmt.Fprintf(os.Stderr, "tend: %s %s; restarting it in %s (--restart %s; restarts so far: %d)\n",
					who, r.LastExit.Description, time.Until(r.NextStart).Round(time.Millisecond), def.Policy(), r.Restarts)
			case r.Restarts > seen:
				fmt.Fprintf(os.Stderr, "tend: %s %s; restarted it (--restart %s; restarts so far: %d)\n",
					who, r.LastExit.Description, def.Policy(), r.Restarts)
			}
		}
		seen = r.Restarts
	}
}

func timeOf(e *status.Exit) time.Time {
	if e == nil {
		return time.Time{}
	}
	return e.At
}

// listenFDs are the descriptors a service manager handed tend run
// (LISTEN_FDS, when LISTEN_PID is tend run): they stay open.
func listenFDs() map[int]bool {
	keep := map[int]bool{}
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return keep
	}
	n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	for fd := 3; fd < 3+n; fd++ {
		keep[fd] = true
	}
	return keep
}
