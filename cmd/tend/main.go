// Command tend runs any command as a supervised background daemon.
//
// See `tend help` for the commands and their exit statuses.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

// Exit statuses. They are part of tend's contract (see `tend help`).
const (
	exitOK       = 0
	exitFailure  = 1 // the operation failed; status: failed, dead or lost
	exitUsage    = 2 // bad command line: unknown command or option, bad name
	exitStopped  = 3 // status: stopped
	exitUnknown  = 4 // status (and others): no daemon of that name
	exitInternal = 1
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one tend subcommand.
type command struct {
	name    string
	aliases []string
	usage   string // one line: arguments
	summary string // one line: what it does
	help    string // more, for `tend help NAME`
	run     func(args []string) int
}

func commands() []*command {
	return []*command{
		startCommand(), stopCommand(), restartCommand(), reloadCommand(), scaleCommand(), statusCommand(), listCommand(),
		logsCommand(), signalCommand(), runCommand(), upCommand(), downCommand(), resurrectCommand(), startupCommand(), exportCommand(), versionCommand(), helpCommand(), completionCommand(),
	}
}

// hiddenCommands are run by tend itself, not by users.
func hiddenCommands() []*command {
	return []*command{superviseCommand()}
}

func findCommand(name string) *command {
	for _, c := range append(commands(), hiddenCommands()...) {
		if c.name == name {
			return c
		}
		for _, a := range c.aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

func main() {
	supervisor.ExecLimited() // tend as a supervisor's exec helper for --limit
	os.Exit(tendMain(os.Args[1:]))
}

func tendMain(args []string) int {
	if len(args) == 0 {
		printUsage(os.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help":
		printUsage(os.Stdout)
		return exitOK
	case "-v", "--version":
		args[0] = "version"
	}
	c := findCommand(args[0])
	if c == nil {
		return usageError("unknown command %q; see: tend help", args[0])
	}
	return c.run(args[1:])
}

// usageError prints a usage error and returns exitUsage.
func usageError(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "tend: "+format+"\n", args...)
	return exitUsage
}

// fail prints an error and returns the exit status that fits it.
func fail(err error) int {
	fmt.Fprintf(os.Stderr, "tend: %v\n", err)
	return exitFor(err)
}

func exitFor(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, definition.ErrUsage), errors.Is(err, state.ErrBadName):
		return exitUsage
	case errors.Is(err, client.ErrUnknown):
		return exitUnknown
	}
	return exitFailure
}

// openStore opens the state directory ($TEND_HOME, see state.Home).
func openStore() (*state.Store, error) {
	root, err := state.Home()
	if err != nil {
		return nil, err
	}
	return state.Open(root)
}

// daemonDir validates name and returns its folder, which must exist.
func daemonDir(name string) (state.Dir, error) {
	if err := state.ValidateName(name); err != nil {
		return state.Dir{}, err
	}
	store, err := openStore()
	if err != nil {
		return state.Dir{}, err
	}
	dir, err := store.Dir(name)
	if err != nil {
		return state.Dir{}, err
	}
	if _, err := os.Lstat(dir.Path); err != nil {
		return state.Dir{}, fmt.Errorf("%w: %s (see: tend list)", client.ErrUnknown, name)
	}
	return dir, nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "tend runs any command as a supervised background daemon.\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  tend %-9s %-34s %s\n", c.name, c.usage, c.summary)
	}
	fmt.Fprint(w, exitStatusHelp)
}

const exitStatusHelp = `
Exit status:
  0  success; for status: running
  1  failure; for status: failed, or dead or lost without having been stopped
  2  bad command line (unknown command or option, bad name); nothing was changed
  3  for status: stopped
  4  no daemon of that name

State lives in $TEND_HOME, else $XDG_STATE_HOME/tend, else ~/.local/state/tend
(/var/lib/tend for root): one private folder per daemon.
Run 'tend help COMMAND' for a command's options.
`
