package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/systemd"
)

func exportCommand() *command {
	return &command{
		name:    "export",
		usage:   "systemd NAME",
		summary: "print a systemd unit that runs NAME's definition",
		help: `Print a systemd service unit that runs the stored definition of NAME the
same way: ExecStart (the program resolved to an absolute path), WorkingDirectory,
Environment and EnvironmentFile, User, Group, UMask, Restart with RestartSec and
the start limit, KillSignal and TimeoutStopSec from the stop schedule,
Type=notify for --ready notify (else Type=exec), WatchdogSec. With --listen,
a .socket unit follows, separated by a line of its file name; with --dir DIR
both are written into DIR as NAME.service and NAME.socket instead. What
systemd cannot express (other --ready modes, --health) is said in comments.`,
		run: runExport,
	}
}

func runExport(args []string) int {
	fs := flag.NewFlagSet("tend export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	outDir := fs.String("dir", "", "write the unit files into `DIR`")
	if len(args) > 0 && args[0] != "systemd" && args[0][0] != '-' {
		return usageError("export: unknown format %q (only systemd)", args[0])
	}
	if len(args) == 0 {
		return usageError("export: usage: tend export systemd [--dir DIR] NAME")
	}
	for _, a := range args[1:] {
		if a == "-f" || len(a) > 3 && a[:3] == "-f=" {
			return runExportFile(args[1:]) // a whole tend.toml or Procfile: upexport.go
		}
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
		return usageError("export: usage: tend export systemd [--dir DIR] NAME")
	}
	dir, err := daemonDir(fs.Arg(0))
	if err != nil {
		return fail(err)
	}
	def, err := client.LoadDefinition(dir)
	if err != nil {
		return fail(fmt.Errorf("%s has no stored definition: %w", dir.Name, err))
	}
	env, err := def.Environment()
	if err != nil {
		return fail(err)
	}
	units, err := systemd.Render(def, append([]string{def.Program(env)}, def.Command[1:]...))
	if err != nil {
		return fail(err)
	}
	if *outDir != "" {
		if err := os.WriteFile(*outDir+"/"+units.ServiceUnit(), []byte(units.Service), 0o644); err != nil {
			return fail(err)
		}
		if units.Socket != "" {
			if err := os.WriteFile(*outDir+"/"+units.SocketUnit(), []byte(units.Socket), 0o644); err != nil {
				return fail(err)
			}
		}
		return exitOK
	}
	fmt.Print(units.Service)
	if units.Socket != "" {
		fmt.Printf("\n# ---- %s\n%s", units.SocketUnit(), units.Socket)
	}
	return exitOK
}
