// Command tend runs any command as a supervised background daemon.
//
// See `tend help` for the commands and their exit statuses.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

// Exit statuses. They are part of tend's contract (see `tend help`).
const (
	exitOK      = 0
	exitFailure = 1 // the operation failed; status: failed, dead or lost
	exitUsage   = 2 // bad command line: unknown command or option, bad name
	exitStopped = 3 // status: stopped
	exitUnknown = 4 // status (and others): no daemon of that name
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one tend subcommand.
type command struct {
	name    string
	aliases []string
	usage   string // one line: options and arguments
	summary string // one line: what it does
	help    string // more, for `tend help NAME`
	// flags returns the command's options, for help and completion (the
	// values they set are thrown away); nil for a command without.
	flags func() *flagSet
	// complete says what its arguments are, for completion: "daemons",
	// "commands", "shells", or "" for nothing in particular.
	complete string
	run      func(args []string) int
}

func commands() []*command {
	return []*command{
		startCommand(), stopCommand(), restartCommand(), reloadCommand(), scaleCommand(), statusCommand(), listCommand(), topCommand(),
		logsCommand(), signalCommand(), rmCommand(), runCommand(), upCommand(), downCommand(),
		resurrectCommand(), startupCommand(), hostUserCommand(), apiCommand(), exportCommand(), completionCommand(), versionCommand(), helpCommand(),
	}
}

// hiddenCommands are run by tend itself, not by users.
func hiddenCommands() []*command {
	return []*command{superviseCommand(), ttyCommand(), ttyCopyCommandSpec(), completeCommand(), keeperCommand(), hostCommand()}
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
		var names []string
		for _, c := range commands() {
			names = append(names, c.name)
			names = append(names, c.aliases...)
		}
		s := otherToolCommand(args[0])
		if s == "" {
			s = suggest(args[0], names)
		}
		if s != "" {
			return fail(usageErr("", "unknown command %q; did you mean %s? (see: tend help)", args[0], s))
		}
		return fail(usageErr("", "unknown command %q (see: tend help)", args[0]))
	}
	return c.run(args[1:])
}

// parseArgs parses the command line of c with fs. done is true when the
// command has nothing more to do: help was asked for (printed, exit 0) or
// the line is wrong (reported, exit 2); code is then its exit status.
func parseArgs(c *command, fs *flagSet, args []string) (p parsed, code int, done bool) {
	p, err := fs.parse(args)
	switch {
	case errors.Is(err, errHelp):
		printHelp(os.Stdout, c)
		return p, exitOK, true
	case err != nil:
		return p, fail(err), true
	}
	return p, exitOK, false
}

// fail prints an error and returns the exit status that fits it.
func fail(err error) int {
	fmt.Fprintf(os.Stderr, "tend: %s\n", userMessage(err))
	return exitFor(err)
}

// userMessage is err's text for a user (see api.Message).
func userMessage(err error) string { return api.Message(err) }

// opError is err of the operation op on the daemon called name, as a user
// reads it: "op name: what went wrong", the daemon named once even where
// err names it too.
func opError(op, name string, err error) error {
	msg := strings.TrimPrefix(userMessage(err), name+": ")
	return &shownError{msg: fmt.Sprintf("%s %s: %s", op, name, msg), err: err}
}

// shownError is an error whose text for a user is made already; it
// wraps the error it tells of, for errors.Is (the exit status).
type shownError struct {
	msg string
	err error
}

func (e *shownError) Error() string { return e.msg }
func (e *shownError) Unwrap() error { return e.err }

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

func printUsage(w io.Writer) {
	fmt.Fprint(w, "tend runs any command as a supervised background daemon.\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  tend %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, exitStatusHelp)
}

// printHelp prints a command's help: usage, what it does, its options.
func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: tend %s %s\n\n%s.\n", c.name, c.usage, upperFirst(c.summary))
	if len(c.aliases) > 0 {
		fmt.Fprintf(w, "Also: tend %s.\n", strings.Join(c.aliases, ", tend "))
	}
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.help, "\n"))
	}
	if c.flags != nil {
		fs := c.flags()
		fs.opts = append(fs.opts, &option{long: "help", short: 'h', help: "show this help"})
		fmt.Fprint(w, fs.help())
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

const exitStatusHelp = `
Exit status:
  0  success; for status: running (or starting, stopping, restarting)
  1  failure; for status: failed, backing off after a crash, exited with a
     failure, or dead or lost without having been stopped
  2  bad command line (unknown command or option, bad name); nothing was changed
  3  for status: stopped, or exited with status 0
  4  no daemon of that name

State lives in $TEND_HOME, else $XDG_STATE_HOME/tend, else ~/.local/state/tend
(/var/lib/tend for root): one private folder per daemon.
Run 'tend help COMMAND' (or 'tend COMMAND --help') for a command's options.
`
