package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/state"
)

func rmCommand() *command {
	return &command{
		name:    "rm",
		aliases: []string{"delete"},
		usage:   "[--force] NAME...",
		summary: "forget stopped daemons: their folder, status and logs",
		help: `Forget each daemon: remove its folder from the state directory, with its
status, definition and output log (a log that --log put elsewhere is left
in place). A running daemon is refused: stop it first (tend stop NAME).
On a terminal, tend rm asks first; elsewhere it needs --force.`,
		flags: func() *flagSet {
			var force bool
			return rmFlags(&force)
		},
		complete: "daemons",
		run:      runRm,
	}
}

func rmFlags(force *bool) *flagSet {
	fs := newFlagSet("rm")
	fs.boolean(force, "force", 'f', "do not ask")
	return fs
}

func runRm(args []string) int {
	var force bool
	p, code, done := parseArgs(rmCommand(), rmFlags(&force), args)
	if done {
		return code
	}
	if len(p.args) == 0 {
		return fail(usageErr("rm", "name the daemons to forget: tend rm NAME..."))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	var dirs []state.Dir
	for _, name := range p.args {
		dir, err := findDaemon(store, name)
		if err != nil {
			return fail(err)
		}
		if err := removable(dir); err != nil {
			return fail(err)
		}
		dirs = append(dirs, dir)
	}
	if !force {
		if !isTerminal(os.Stdin) {
			return fail(usageErr("rm", "not on a terminal to ask: add --force to forget %s", names(dirs)))
		}
		fmt.Fprintf(os.Stderr, "forget %s, with %s? [y/N] ", names(dirs), plural(len(dirs), "its status and log", "their status and logs"))
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(os.Stderr, "nothing removed")
			return exitFailure
		}
	}
	code = exitOK
	for _, dir := range dirs {
		if err := forget(store, dir); err != nil {
			code = max(code, fail(err))
			continue
		}
		fmt.Printf("removed %s\n", dir.Name)
	}
	return code
}

// removable refuses a daemon that runs.
func removable(dir state.Dir) error {
	v, err := client.Inspect(dir)
	if errors.Is(err, client.ErrUnknown) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir.Name, err)
	}
	if v.SupervisorAlive || len(v.Leftovers) > 0 {
		return fmt.Errorf("%s is %s: stop it first (tend stop %s), then tend rm %s", dir.Name, v.Condition, dir.Name, dir.Name)
	}
	return nil
}

// forget removes the daemon's folder while holding its supervisor's lock,
// so that no supervisor starts in it meanwhile.
func forget(store *state.Store, dir state.Dir) error {
	if client.UseHost() {
		err := client.Remove(context.Background(), dir)
		if errors.Is(err, client.ErrUnknown) {
			return nil
		}
		return err
	}
	lock, err := dir.LockSupervisor()
	if errors.Is(err, pidfile.ErrLocked) {
		return fmt.Errorf("%s was started meanwhile: stop it first (tend stop %s)", dir.Name, dir.Name)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir.Name, err)
	}
	if lock != nil {
		defer lock.Close()
	}
	if err := store.Remove(dir.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir.Name, err)
	}
	return nil
}

func names(dirs []state.Dir) string {
	var s []string
	for _, d := range dirs {
		s = append(s, d.Name)
	}
	return strings.Join(s, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
