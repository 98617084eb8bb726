package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

func upCommand() *command {
	return &command{
		name:    "up",
		usage:   "[-f FILE] [--foreground [--exit-on-failure]] [NAME...]",
		summary: "start, restart or stop daemons to match tend.toml or a Procfile",
		help: `Bring the running daemons in line with a file: tend.toml (or any
FILE ending in .toml) declaring daemons with the options of tend start,
or a Procfile (name: command lines, a .env beside it applying to all).
Without -f, tend.toml in the current directory, else Procfile.

Daemons are started in dependency order (after = [...]): each only once
those it comes after are ready; independent ones in parallel. A daemon
whose definition changed (anything but the caller's environment; edits
to its env files count) is stopped and started again, or, when it serves
--listen sockets and only its command or environment changed, reloaded
(tend reload: the new one is ready before the old one goes; --no-reload
restarts instead); one that runs as defined is left alone; one started
from this file and no longer in it is stopped. One line per daemon says
what was done: started, restarted, reloaded, unchanged, stopped. With NAMEs, only those and what they come after are
brought up, and nothing is stopped.

A cycle or an unknown dependency, like any mistake in the file (printed as
FILE:LINE: KEY: problem), is refused before anything changes (exit 2).
If a daemon cannot be started, those after it are not, the rest are, and
the exit status is 1.

--foreground stays, for a service manager or as a container's PID 1:
once all are up (sd_notify READY=1 under systemd) it waits; SIGHUP runs
up again with the file as it is then; SIGTERM or SIGINT runs down and
exits 0. When a daemon fails for good (start limit hit, or exited
non-zero and not restarted) the others run on, unless it is critical
(critical = true, or --exit-on-failure for all): then the others are
brought down in order and tend up exits with its exit status (1 if it
has none), so that an orchestrator restarts the container. When no
daemon is left running, it exits: 0, or 1 if one failed.

Options:
  -f FILE             the file (default: ./tend.toml, else ./Procfile)
  --foreground        stay until SIGTERM, then stop them all
  --exit-on-failure   with --foreground: any daemon failing for good brings all down
  --no-reload         restart changed daemons, even those that could be reloaded`,
		run: runUp,
	}
}

func downCommand() *command {
	return &command{
		name:    "down",
		usage:   "[-f FILE] [NAME...]",
		summary: "stop the daemons of tend.toml or a Procfile, dependents first",
		help: `Stop the daemons of the file (see: tend help up), and those started from
it that it no longer lists, each only after the daemons that come after
it are stopped. With NAMEs, stop those and the daemons that come after
them.

Options:
  -f FILE   the file (default: ./tend.toml, else ./Procfile)`,
		run: runDown,
	}
}

// upFlags parses the options shared by up and down.
func upFlags(cmd string, args []string, foreground, exitOnFailure, noReload *bool) (file string, names []string, code int) {
	fs := flag.NewFlagSet("tend "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&file, "f", "", "")
	fs.StringVar(&file, "file", "", "")
	if foreground != nil {
		fs.BoolVar(foreground, "foreground", false, "")
		fs.BoolVar(exitOnFailure, "exit-on-failure", false, "")
	}
	fs.BoolVar(noReload, "no-reload", false, "")
	if err := fs.Parse(args); err != nil {
		return "", nil, usageError("%s: %v (see: tend help %s)", cmd, err, cmd)
	}
	names = fs.Args()
	for _, n := range names {
		if err := state.ValidateName(n); err != nil {
			return "", nil, fail(err)
		}
	}
	return file, names, -1
}

// loadFile loads the file given, or the one found here.
func loadFile(path string) (*config.File, error) {
	if path == "" {
		p, err := config.Find(".")
		if err != nil {
			return nil, err
		}
		path = p
	}
	return config.Load(path)
}

// upper does one run of up or down.
type upper struct {
	file     *config.File
	store    *state.Store
	out      sync.Mutex // one report line at a time
	noReload bool       // --no-reload: restart changed daemons even when they serve sockets
}

func newUpper(path string) (*upper, int) {
	f, err := loadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return nil, exitUsage
	}
	store, err := openStore()
	if err != nil {
		return nil, fail(err)
	}
	return &upper{file: f, store: store}, exitOK
}

func (u *upper) report(name, format string, args ...any) {
	u.out.Lock()
	defer u.out.Unlock()
	fmt.Printf("%s: %s\n", name, fmt.Sprintf(format, args...))
}

func runUp(args []string) int {
	var foreground, noReload bool
	var policy foregroundPolicy
	path, names, code := upFlags("up", args, &foreground, &policy.exitOnFailure, &noReload)
	if code >= 0 {
		return code
	}
	u, code := newUpper(path)
	if u == nil {
		return code
	}
	u.noReload = noReload
	var sigs chan os.Signal
	if foreground {
		// Before anything starts, so that a TERM during up still runs down.
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	}
	code = u.up(names)
	if !foreground {
		return code
	}
	if code != exitOK {
		u.down(names)
		return code
	}
	return u.foregroundLoop(path, names, sigs, policy)
}

func runDown(args []string) int {
	path, names, code := upFlags("down", args, nil, nil, new(bool))
	if code >= 0 {
		return code
	}
	u, code := newUpper(path)
	if u == nil {
		return code
	}
	return u.down(names)
}

// sdNotify sends state to the service manager, if tend runs under one.
func sdNotify(msg string) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return
	}
	if addr[0] == '@' {
		addr = "\x00" + addr[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return
	}
	c.Write([]byte(msg))
	c.Close()
}

// up brings the daemons in line with the file.
func (u *upper) up(names []string) int {
	order, err := u.file.Order(names)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return exitUsage
	}
	want := map[string]*definition.Definition{}
	for _, d := range order {
		def, err := expected(d)
		if err != nil {
			return fail(fmt.Errorf("%s:%d: %w", u.file.Name, d.Line, err))
		}
		want[d.Name] = def
	}
	code := exitOK
	if len(names) == 0 {
		if c := u.stopRemoved(); c != exitOK {
			code = c
		}
	}
	errs := runGraph(order, func(d *config.Daemon) []string { return d.After }, func(d *config.Daemon) error {
		return u.bringUp(d, want[d.Name])
	}, u.report)
	if len(errs) > 0 {
		code = exitFailure
	}
	return code
}

// stopRemoved stops the daemons brought up from this file that it no
// longer lists.
func (u *upper) stopRemoved() int {
	all, err := u.store.List()
	if err != nil {
		return fail(err)
	}
	code := exitOK
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range all {
		if u.file.Daemon(name) != nil {
			continue
		}
		dir, err := u.store.Dir(name)
		if err != nil {
			continue
		}
		if m, ok := readMarker(dir); !ok || m.Source != u.file.Path {
			continue
		}
		wg.Go(func() {
			how, err := client.Stop(context.Background(), dir)
			switch {
			case errors.Is(err, client.ErrNotRunning):
			case err != nil:
				u.report(name, "not stopped: %v", err)
				mu.Lock()
				code = exitFailure
				mu.Unlock()
				return
			default:
				u.report(name, "stopped (removed from %s): %s", u.file.Name, how)
			}
			os.Remove(markerPath(dir))
		})
	}
	wg.Wait()
	return code
}

// bringUp starts, restarts or leaves alone one daemon, and says which.
func (u *upper) bringUp(d *config.Daemon, want *definition.Definition) error {
	dir, err := u.store.Create(d.Name)
	if err != nil {
		return err
	}
	digest := envDigest(want.EnvFiles)
	action, detail := "started", ""
	v, err := client.Inspect(dir)
	if err != nil && !errors.Is(err, client.ErrUnknown) {
		return err
	}
	if err == nil && (v.SupervisorAlive || len(v.Leftovers) > 0) {
		var why []string
		if !v.SupervisorAlive {
			why = []string{"its supervisor was gone"}
		} else if old, err := client.LoadDefinition(dir); err != nil {
			why = []string{"no stored definition"}
		} else {
			var other []string
			why, other = changes(old, want)
			if m, ok := readMarker(dir); ok && m.EnvDigest != digest {
				why = append(why, "env file contents")
			}
			if len(why) > 0 && len(other) == 0 && len(want.Listen) > 0 && !u.noReload {
				// Only the command or its environment changed, and it
				// serves sockets: the new one is ready before the old goes.
				return u.reload(d, dir, want, digest, why)
			}
			why = append(why, other...)
		}
		if len(why) == 0 {
			if err := state.WriteJSON(markerPath(dir), upMarker{Source: u.file.Path, EnvDigest: digest}, 0o600); err != nil {
				return err
			}
			u.report(d.Name, "unchanged (pid %d)", v.PID)
			return nil
		}
		if _, err := client.Stop(context.Background(), dir); err != nil && !errors.Is(err, client.ErrNotRunning) {
			return fmt.Errorf("stop to restart: %w", err)
		}
		action, detail = "restarted", "; changed: "+strings.Join(why, ", ")
	}
	if err := state.WriteJSON(markerPath(dir), upMarker{Source: u.file.Path, EnvDigest: digest}, 0o600); err != nil {
		return err
	}
	pid, err := u.start(want, dir)
	if err != nil {
		return err
	}
	u.report(d.Name, "%s (pid %d%s)", action, pid, detail)
	return nil
}

// reload applies a changed command or environment to a running daemon
// that serves --listen sockets with tend reload: the new incarnation is
// ready before the old one goes, and one that fails leaves the old one
// serving.
func (u *upper) reload(d *config.Daemon, dir state.Dir, want *definition.Definition, digest string, why []string) error {
	if err := state.WriteJSON(dir.DefinitionFile(), want, 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(want)*time.Duration(want.InstanceCount()))
	defer cancel()
	pid, err := client.Reload(ctx, dir)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := state.WriteJSON(markerPath(dir), upMarker{Source: u.file.Path, EnvDigest: digest}, 0o600); err != nil {
		return err
	}
	u.report(d.Name, "reloaded (pid %d; changed: %s)", pid, strings.Join(why, ", "))
	return nil
}

// start starts the daemon's supervisor, in this process as tend start
// would, and returns once the daemon is ready.
func (u *upper) start(want *definition.Definition, dir state.Dir) (int, error) {
	return client.Start(context.Background(), dir, want)
}

// down stops the daemons of the file, each after those that come after it.
func (u *upper) down(names []string) int {
	order, err := u.file.Order(nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return exitUsage
	}
	sel := map[string]bool{}
	for _, n := range names {
		if u.file.Daemon(n) == nil {
			fmt.Fprintf(os.Stderr, "tend: %s: no daemon %q\n", u.file.Name, n)
			return exitUsage
		}
		sel[n] = true
		for _, dep := range u.file.Dependents(n) {
			sel[dep] = true
		}
	}
	var todo []*config.Daemon
	for i := len(order) - 1; i >= 0; i-- {
		if len(names) == 0 || sel[order[i].Name] {
			todo = append(todo, order[i])
		}
	}
	code := exitOK
	if len(names) == 0 {
		code = u.stopRemoved()
	}
	inTodo := map[string]bool{}
	for _, d := range todo {
		inTodo[d.Name] = true
	}
	errs := runGraph(todo, func(d *config.Daemon) []string {
		var deps []string
		for _, n := range u.file.Dependents(d.Name) {
			if inTodo[n] {
				deps = append(deps, n)
			}
		}
		return deps
	}, u.stop, u.report)
	if len(errs) > 0 {
		code = exitFailure
	}
	return code
}

func (u *upper) stop(d *config.Daemon) error {
	dir, err := u.store.Dir(d.Name)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dir.Path); errors.Is(err, fs.ErrNotExist) {
		u.report(d.Name, "not running")
		return nil
	}
	how, err := client.Stop(context.Background(), dir)
	switch {
	case errors.Is(err, client.ErrNotRunning):
		u.report(d.Name, "not running")
		return nil
	case err != nil:
		return err
	}
	u.report(d.Name, "stopped: %s", how)
	return nil
}
