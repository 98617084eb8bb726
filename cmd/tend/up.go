package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/state"
)

func upCommand() *command {
	return &command{
		name:    "up",
		usage:   "[-f FILE] [-p PROJECT] [-m NAME=N,...] [--attach | --foreground [--exit-on-failure]] [NAME...]",
		summary: "start, restart or stop daemons to match tend.toml or a Procfile",
		help: `Bring the running daemons in line with a file: tend.toml (or any FILE
ending in .toml) declaring daemons with the options of tend start, or a
Procfile (name: command lines, a .env beside it applying to all). Without
-f, tend.toml in the current folder, else Procfile. (tend help toml lists
the keys of tend.toml.)

The daemons belong to a project, named after the file's folder (-p to
name it otherwise), and are called PROJECT.NAME: web of the folder shop
is shop.web. So two projects' web stay apart; other commands take the
short name (tend logs web) when it names one daemon, preferring the
project of the current folder. tend up and down act only on their own
project's daemons from their own file: a daemon of that name that came
from elsewhere (another file, tend start) is left alone, and the line
for it says whose it is.

Daemons are started in dependency order (after = [...]): each only once
those it comes after are ready; independent ones in parallel. A daemon
whose definition changed (anything but the caller's environment; edits
to its env files count) is stopped and started again, or, when it serves
--listen sockets and only its command or environment changed, reloaded
(tend reload: the new one is ready before the old one goes; --no-reload
restarts instead); one that runs as defined is left alone; one started
from this file and no longer in it is stopped. One line per daemon says
what was done: started, restarted, reloaded, unchanged, stopped. With NAMEs, only those and what they come after are
brought up, and nothing is stopped. Running tend up again, or twice at
once, changes nothing that is up to date.

-m web=3,worker=2 (foreman's formation; all=N for every daemon) runs that
many instances of each (see: tend help scale), whatever the file says: a
running daemon whose count alone changed is scaled, its instances that run
go on. Without -m, the file's count (instances = N, else 1) applies again.

A cycle or an unknown dependency, like any mistake in the file (printed as
FILE:LINE: KEY: problem), is refused before anything changes (exit 2).
If a daemon cannot be started, those after it are not, the rest are, and
the exit status is 1.

--attach stays in the foreground and prints the daemons' output from now
on, foreman style, until Ctrl-C or SIGTERM; then it brings down those it
started, dependents first, and says which ones it leaves running (they
were up before it).

--foreground stays too, for a service manager or as a container's PID 1,
and prints the daemons' output as --attach does (from the start of this
run; for the journal or the container's log): once all are up (sd_notify
READY=1 under systemd) it waits; SIGHUP runs up again with the file as it is then; SIGTERM or SIGINT
runs down and exits 0. When a daemon fails for good (start limit hit, or
exited non-zero and not restarted) the others run on, unless it is
critical (critical = true, or --exit-on-failure for all): then the others
are brought down in order and tend up exits with its exit status (1 if it
has none), so that an orchestrator restarts the container. When no daemon
is left running, it exits: 0, or 1 if one failed.`,
		flags: func() *flagSet {
			var o upOpts
			return upFlags("up", &o)
		},
		run: runUp,
	}
}

func downCommand() *command {
	return &command{
		name:    "down",
		usage:   "[-f FILE] [-p PROJECT] [NAME...]",
		summary: "stop the daemons of tend.toml or a Procfile, dependents first",
		help: `Stop the daemons of the file's project (see: tend help up), and those
started from it that it no longer lists, each only after the daemons that
come after it are stopped. With NAMEs, stop those and the daemons that
come after them. A daemon of the same name that does not belong to the
file's project is left alone (exit status 1).`,
		flags: func() *flagSet {
			var o upOpts
			return upFlags("down", &o)
		},
		run: runDown,
	}
}

type upOpts struct {
	file, project      string
	formation          string
	foreground, attach bool
	noReload           bool
	policy             foregroundPolicy
}

// upFlags declares the options of up and down.
func upFlags(cmd string, o *upOpts) *flagSet {
	fs := newFlagSet(cmd)
	fs.str(&o.file, "file", 'f', "FILE", "the file (default: ./tend.toml, else ./Procfile)")
	fs.str(&o.project, "project", 'p', "PROJECT", "the project's name (default: the name of the file's folder)")
	if cmd == "up" {
		fs.boolean(&o.attach, "attach", 'a', "stay, print the daemons' output; on Ctrl-C or SIGTERM, bring down those it started")
		fs.boolean(&o.foreground, "foreground", 0, "stay, for a service manager or as a container's PID 1, until SIGTERM; then stop them all")
		fs.boolean(&o.policy.exitOnFailure, "exit-on-failure", 0, "with --foreground: any daemon failing for good brings all down")
		fs.boolean(&o.noReload, "no-reload", 0, "restart changed daemons, even those that could be reloaded")
		fs.str(&o.formation, "formation", 'm', "NAME=N,...", "run N instances of NAME, whatever the file says (foreman's -m; all=N for every daemon)")
	}
	return fs
}

// parseUp parses the command line of up or down and loads the file.
func parseUp(c *command, args []string) (*upper, []string, upOpts, int) {
	var o upOpts
	p, code, done := parseArgs(c, upFlags(c.name, &o), args)
	if done {
		return nil, nil, o, code
	}
	if o.attach && o.foreground {
		return nil, nil, o, fail(usageErr(c.name, "--attach and --foreground exclude each other"))
	}
	if o.policy.exitOnFailure && !o.foreground {
		return nil, nil, o, fail(usageErr(c.name, "--exit-on-failure goes with --foreground"))
	}
	for _, n := range p.args {
		if err := state.ValidateName(n); err != nil {
			return nil, nil, o, fail(err)
		}
	}
	u, err := newUpper(o.file, o.project)
	if err != nil {
		return nil, nil, o, fail(err)
	}
	u.noReload = o.noReload
	if u.formation, err = parseFormation(o.formation, u.file); err != nil {
		return nil, nil, o, fail(usageErr(c.name, "%s", err))
	}
	return u, p.args, o, -1
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

// configError makes a mistake in a file a usage error (exit 2): nothing
// was changed, the file must be fixed.
func configError(err error) error {
	return fmt.Errorf("%w: %w", definition.ErrUsage, err)
}

// upper does one run of up or down.
type upper struct {
	file    *config.File
	project string
	store   *state.Store
	out     sync.Mutex // one report line at a time
	// stdout is where the report lines go: os.Stdout, or the console
	// that tend up --foreground shares with the daemons' output.
	stdout io.Writer
	// noReload (--no-reload): restart changed daemons even when they
	// serve sockets.
	noReload bool
	// formation (-m) sets the number of instances of some daemons.
	formation formation
	// foreground (tend up --foreground): every daemon runs in this
	// process's host, --isolated ones too, so that none outlives it.
	foreground bool
	mu         sync.Mutex
	// started are the daemons (by their names in the file) that this
	// tend up started: they did not run before it.
	started map[string]bool
}

func newUpper(path, project string) (*upper, error) {
	f, err := loadFile(path)
	if err != nil {
		return nil, configError(err)
	}
	if project == "" {
		project = projectName(filepath.Dir(f.Path))
	} else if err := validProject(project); err != nil {
		return nil, err
	}
	for _, d := range f.Daemons {
		if err := state.ValidateName(qualified(project, d.Name)); err != nil {
			return nil, usageErr("up", "%s: the daemon %s of project %s would be named %s, which is too long: "+
				"give the project a shorter name with -p", f.Name, d.Name, project, qualified(project, d.Name))
		}
	}
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	return &upper{file: f, project: project, store: store, stdout: os.Stdout}, nil
}

// name is the daemon's name in the store.
func (u *upper) name(d *config.Daemon) string { return qualified(u.project, d.Name) }

func (u *upper) report(name, format string, args ...any) {
	u.out.Lock()
	defer u.out.Unlock()
	fmt.Fprintf(u.stdout, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

func runUp(args []string) int {
	u, names, o, code := parseUp(upCommand(), args)
	if u == nil {
		return code
	}
	var sigs *upSignals
	if o.foreground || o.attach {
		// Before anything starts, so that a TERM during up still runs down.
		sigs = notifyUp()
	}
	var out *liveOutput
	if o.foreground {
		// This process is the host's keeper: the daemons are its
		// children, in its cgroup (a service's, a container's).
		stopHost, err := hostHere(u.store.Root())
		if err != nil {
			return fail(err)
		}
		defer stopHost()
		u.foreground = true
		u.stdout = &console{w: os.Stdout}
		out = u.showOutput(names)
		defer out.end()
	}
	begin := time.Now()
	code = u.up(names)
	switch {
	case o.attach:
		return u.attach(names, sigs, code, begin)
	case !o.foreground:
		return code
	case code != exitOK:
		u.down(names)
		return code
	}
	return u.foregroundLoop(o.file, names, sigs, o.policy)
}

func runDown(args []string) int {
	u, names, _, code := parseUp(downCommand(), args)
	if u == nil {
		return code
	}
	return u.down(names)
}

// attach prints the output of the daemons brought up, interleaved, until
// SIGINT or SIGTERM, then brings them down.
func (u *upper) attach(names []string, sigs *upSignals, code int, begin time.Time) int {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-sigs.term // a HUP does nothing here
		cancel()
	}()
	src := &logSources{store: u.store, project: u.project}
	for _, d := range u.file.Daemons {
		if len(names) == 0 || containsName(names, d.Name) {
			src.names = append(src.names, u.name(d))
		}
	}
	if code != exitOK {
		fmt.Fprintln(os.Stderr, "tend: not every daemon is up; showing the output of those that are (Ctrl-C to bring them down)")
	}
	// What they wrote from this tend up on: not the history of those that
	// were up already.
	if err := src.follow(ctx, -1, logcap.Filter{Since: begin}); err != nil {
		fmt.Fprintf(os.Stderr, "tend: %s\n", userMessage(err))
	}
	sigs.stop()
	fmt.Println()
	// Down only what this tend up brought up; what ran before it runs on.
	brought, kept := u.broughtUp(names)
	if len(kept) > 0 {
		fmt.Printf("left running, as they were up before tend up --attach: %s (tend down stops them)\n", strings.Join(kept, ", "))
	}
	if len(brought) == 0 {
		return code
	}
	return max(code, u.stopInOrder(brought, false))
}

// broughtUp sorts the daemons of the file named (all without names) into
// those this tend up started, and the names of the others.
func (u *upper) broughtUp(names []string) (brought map[string]bool, kept []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	brought = map[string]bool{}
	for _, d := range u.file.Daemons {
		if len(names) > 0 && !containsName(names, d.Name) {
			continue
		}
		if u.started[d.Name] {
			brought[d.Name] = true
		} else {
			kept = append(kept, u.name(d))
		}
	}
	return brought, kept
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// up brings the daemons in line with the file.
func (u *upper) up(names []string) int {
	order, err := u.file.Order(names)
	if err != nil {
		return fail(configError(err))
	}
	want := map[string]*definition.Definition{}
	for _, d := range order {
		def, err := u.expected(d)
		if err != nil {
			return fail(configError(fmt.Errorf("%s:%d: %w", u.file.Name, d.Line, err)))
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
	}, u.name, u.report, u.gate)
	if len(errs) > 0 {
		code = exitFailure
	}
	return code
}

// down stops the daemons of the file named (all without names, and those
// the file no longer has), with the daemons that come after them, each
// after those that come after it.
func (u *upper) down(names []string) int {
	sel := map[string]bool{}
	for _, n := range names {
		if u.file.Daemon(n) == nil {
			return fail(configError(fmt.Errorf("%s: no daemon %q", u.file.Name, n)))
		}
		sel[n] = true
		for _, dep := range u.file.Dependents(n) {
			sel[dep] = true
		}
	}
	code := exitOK
	if len(names) == 0 {
		code = u.stopRemoved()
	}
	return max(code, u.stopInOrder(sel, len(names) == 0))
}

// stopInOrder stops the daemons of the file in sel (every one with all),
// each after those of them that come after it.
func (u *upper) stopInOrder(sel map[string]bool, all bool) int {
	order, err := u.file.Order(nil)
	if err != nil {
		return fail(configError(err))
	}
	var todo []*config.Daemon
	for i := len(order) - 1; i >= 0; i-- {
		if all || sel[order[i].Name] {
			todo = append(todo, order[i])
		}
	}
	code := exitOK
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
	}, u.stop, u.name, u.report, nil)
	if len(errs) > 0 {
		code = exitFailure
	}
	return code
}

// errNotOurs is wrapped when a daemon of the file's name belongs to
// someone else.
var errNotOurs = errors.New("not this file's")
