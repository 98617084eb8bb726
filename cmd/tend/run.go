package main

import (
	"strconv"

	"context"
	"flag"
	"github.com/tendhq/tend/internal/proc"
	"os"
	"os/signal"
	"syscall"

	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

func runCommand() *command {
	return &command{
		name:    "run",
		usage:   "[--name NAME] [options] -- CMD [ARG...]",
		summary: "supervise CMD in the foreground (systemd, containers)",
		help: `Run the same supervisor as start, in the foreground: for a systemd unit,
or as a container's PID 1. Signals HUP, USR1, USR2, QUIT and WINCH are
forwarded to the command; TERM and INT stop it with the stop schedule.
Zombies are reaped (tend is a child subreaper, or PID 1). tend run exits
with the command's status (128+N after signal N) once it is not restarted.

Without --log the command's output is tend's own (for the journal or the
container runtime). With --name the daemon is also registered in the state
directory, so that status, logs, signal and stop work on it.

Options:
` + flagHelp("run", runExtraFlags(new(string))),
		run: runRun,
	}
}

func runExtraFlags(name *string) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.StringVar(name, "name", "", "register the daemon under `NAME` (for status, logs, stop)")
	}
}

// forwarded are the signals tend run passes on to the command.
var forwarded = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH}

func runRun(args []string) int {
	var name string
	def, err := parseDefinition("run", "", args, runExtraFlags(&name))
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
	s, err := supervisor.Start(supervisor.Config{Definition: def, Dir: dir, Passthrough: true})
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
	return s.Wait(ctx)
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
