package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/systemd"
)

func exportCommand() *command {
	return &command{
		name:    "export",
		usage:   "systemd [--dir DIR] NAME | systemd -f FILE [-p PROJECT] [--dir DIR]",
		summary: "print systemd units that run a daemon, or a file's daemons, the same way",
		help: `Print a systemd service unit that runs the stored definition of NAME the
same way: ExecStart (the program resolved to an absolute path), WorkingDirectory,
Environment and EnvironmentFile, User, Group, UMask, Restart with RestartSec and
the start limit, KillSignal and TimeoutStopSec from the stop schedule,
Type=notify for --ready notify (else Type=exec), WatchdogSec. With --listen,
a .socket unit follows, separated by a line of its file name; with --dir DIR
both are written into DIR as NAME.service and NAME.socket instead. What
systemd cannot express (other --ready modes, --health, --tty...) is said in
comments. With -f FILE (a tend.toml or a Procfile), one unit per daemon of
the file, named as tend up names the daemon, PROJECT.NAME (shop.web.service
for web of the folder shop; -p to name the project otherwise), so that two
projects' units never collide, with After= and Requires= from its after
list.`,
		flags: func() *flagSet {
			var o exportOpts
			return exportFlags(&o)
		},
		complete: "daemons",
		run:      runExport,
	}
}

type exportOpts struct{ dir, file, project string }

func exportFlags(o *exportOpts) *flagSet {
	fs := newFlagSet("export")
	fs.str(&o.dir, "dir", 0, "DIR", "write the unit files into DIR")
	fs.str(&o.file, "file", 'f', "FILE", "export the daemons of FILE (tend.toml or Procfile)")
	fs.str(&o.project, "project", 'p', "PROJECT", "with -f: the project's name, which the units are named after (default: the name of the file's folder)")
	return fs
}

func runExport(args []string) int {
	var o exportOpts
	p, code, done := parseArgs(exportCommand(), exportFlags(&o), args)
	if done {
		return code
	}
	if len(p.args) == 0 || p.args[0] != "systemd" {
		what := "nothing"
		if len(p.args) > 0 {
			what = fmt.Sprintf("%q", p.args[0])
		}
		return fail(usageErr("export", "the format comes first, and only systemd is known, not %s: tend export systemd NAME", what))
	}
	if o.file != "" {
		if len(p.args) != 1 {
			return fail(usageErr("export", "give -f FILE or a name, not both"))
		}
		return exportFile(o.file, o.project, o.dir)
	}
	if o.project != "" {
		return fail(usageErr("export", "-p goes with -f FILE; a daemon's name already holds its project: tend export systemd %s.NAME", o.project))
	}
	if len(p.args) != 2 {
		return fail(usageErr("export", "name one daemon: tend export systemd [--dir DIR] NAME"))
	}
	dir, err := daemonDir(p.args[1])
	if err != nil {
		return fail(err)
	}
	def, ok := definitionOf(dir)
	if !ok {
		return fail(fmt.Errorf("%s has no stored definition to export; start it once with tend start", dir.Name))
	}
	units, err := render(def)
	if err != nil {
		return fail(err)
	}
	return writeUnits(units, o.dir, false)
}

// render renders def's units, its program resolved in its environment.
func render(def *definition.Definition) (systemd.Units, error) {
	env, err := def.Environment()
	if err != nil {
		return systemd.Units{}, fmt.Errorf("export %s: %w", def.Name, err)
	}
	units, err := systemd.Render(def, append([]string{def.Program(env)}, def.Command[1:]...))
	if err != nil {
		return systemd.Units{}, fmt.Errorf("export %s: %w", def.Name, err)
	}
	return units, nil
}

// writeUnits writes the units into outDir, or prints them (each after a
// line with its file name when titled).
func writeUnits(units systemd.Units, outDir string, titled bool) int {
	if outDir != "" {
		if err := os.WriteFile(filepath.Join(outDir, units.ServiceUnit()), []byte(units.Service), 0o644); err != nil {
			return fail(err)
		}
		if units.Timer != "" {
			if err := os.WriteFile(filepath.Join(outDir, units.TimerUnit()), []byte(units.Timer), 0o644); err != nil {
				return fail(err)
			}
		}
		if units.Socket != "" {
			if err := os.WriteFile(filepath.Join(outDir, units.SocketUnit()), []byte(units.Socket), 0o644); err != nil {
				return fail(err)
			}
		}
		if units.OnFailure != "" {
			if err := os.WriteFile(filepath.Join(outDir, units.OnFailureUnit()), []byte(units.OnFailure), 0o644); err != nil {
				return fail(err)
			}
		}
		return exitOK
	}
	if titled {
		fmt.Printf("# ---- %s\n", units.ServiceUnit())
	}
	fmt.Print(units.Service)
	if units.Timer != "" {
		fmt.Printf("\n# ---- %s\n%s", units.TimerUnit(), units.Timer)
	}
	if units.Socket != "" {
		fmt.Printf("\n# ---- %s\n%s", units.SocketUnit(), units.Socket)
	}
	if units.OnFailure != "" {
		fmt.Printf("\n# ---- %s\n%s", units.OnFailureUnit(), units.OnFailure)
	}
	return exitOK
}

// exportFile is tend export systemd -f FILE: one unit per daemon of the
// file, named after the daemon's name in project (by default the file's
// folder's), as tend up names it, with After= and Requires= from its
// after list.
func exportFile(file, project, outDir string) int {
	f, err := loadFile(file)
	if err != nil {
		return fail(configError(err))
	}
	if project == "" {
		project = projectName(filepath.Dir(f.Path))
	} else if err := validProject(project); err != nil {
		return fail(err)
	}
	order, err := f.Order(nil)
	if err != nil {
		return fail(configError(err))
	}
	for i, d := range order {
		def := projectDefinition(project, d)
		after := make([]string, len(d.After))
		for j, a := range d.After {
			after[j] = qualified(project, a)
		}
		units, err := render(&def)
		if err == nil {
			units, err = units.WithAfter(after)
		}
		if err != nil {
			return fail(err)
		}
		if i > 0 && outDir == "" {
			fmt.Println()
		}
		if code := writeUnits(units, outDir, true); code != exitOK {
			return code
		}
	}
	return exitOK
}

// projectDefinition is the definition of the file's daemon d as tend up
// names it in project, PROJECT.NAME, with its --listen sockets named
// after d as the file names it (LISTEN_FDNAMES=web, not shop.web), as
// tend up names them.
func projectDefinition(project string, d *config.Daemon) definition.Definition {
	def := d.Definition
	def.Name = qualified(project, d.Name)
	def.Listen = nil
	for _, l := range d.Definition.Listen {
		if ls, err := definition.ParseListen(l, d.Name); err == nil && !strings.Contains(strings.SplitN(l, "://", 2)[0], "=") {
			l = ls.Name + "=" + l
		}
		def.Listen = append(def.Listen, l)
	}
	return def
}
