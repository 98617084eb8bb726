package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/systemd"
)

func exportCommand() *command {
	return &command{
		name:    "export",
		usage:   "systemd [--dir DIR] NAME | systemd -f FILE [--dir DIR]",
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
the file, with After= and Requires= from its after list.`,
		flags: func() *flagSet {
			var o exportOpts
			return exportFlags(&o)
		},
		complete: "daemons",
		run:      runExport,
	}
}

type exportOpts struct{ dir, file string }

func exportFlags(o *exportOpts) *flagSet {
	fs := newFlagSet("export")
	fs.str(&o.dir, "dir", 0, "DIR", "write the unit files into DIR")
	fs.str(&o.file, "file", 'f', "FILE", "export the daemons of FILE (tend.toml or Procfile)")
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
		return exportFile(o.file, o.dir)
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
		if units.Socket != "" {
			if err := os.WriteFile(filepath.Join(outDir, units.SocketUnit()), []byte(units.Socket), 0o644); err != nil {
				return fail(err)
			}
		}
		return exitOK
	}
	if titled {
		fmt.Printf("# ---- %s\n", units.ServiceUnit())
	}
	fmt.Print(units.Service)
	if units.Socket != "" {
		fmt.Printf("\n# ---- %s\n%s", units.SocketUnit(), units.Socket)
	}
	return exitOK
}

// exportFile is tend export systemd -f FILE: one unit per daemon of the
// file, with After= and Requires= from its after list.
func exportFile(file, outDir string) int {
	f, err := loadFile(file)
	if err != nil {
		return fail(configError(err))
	}
	order, err := f.Order(nil)
	if err != nil {
		return fail(configError(err))
	}
	for i, d := range order {
		def := d.Definition
		units, err := render(&def)
		if err == nil {
			units, err = units.WithAfter(d.After)
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
