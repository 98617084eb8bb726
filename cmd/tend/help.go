package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/tendhq/tend/internal/definition"
)

func helpCommand() *command {
	return &command{
		name:     "help",
		usage:    "[COMMAND | toml]",
		summary:  "show help for tend or a command",
		complete: "commands",
		run: func(args []string) int {
			if len(args) == 0 {
				printUsage(os.Stdout)
				return exitOK
			}
			if args[0] == "toml" {
				printTOMLHelp(os.Stdout)
				return exitOK
			}
			c := findCommand(args[0])
			if c == nil {
				return tendMain(args) // the unknown command's error, with a suggestion
			}
			printHelp(os.Stdout, c)
			return exitOK
		},
	}
}

// printTOMLHelp lists the keys of a daemon's table in tend.toml, from the
// option table.
func printTOMLHelp(w io.Writer) {
	fmt.Fprint(w, `tend.toml: one table per daemon, [NAME], with these keys (see: tend help up).

  command              the command: a string (split as sh would; shell syntax runs
                       with /bin/sh -c) or an array of strings, the program first
  after                the daemons that must be ready before this one: ["db"]
`)
	for _, g := range definition.Groups() {
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, o := range definition.Options() {
			if o.Group != g {
				continue
			}
			kind := map[definition.Kind]string{
				definition.String: "string", definition.Bool: "true or false", definition.Int: "integer",
				definition.Size: `size: "10M" or bytes`, definition.Duration: `duration: "1m30s" or seconds`,
				definition.List: "string or array", definition.Env: `table { K = "v" } or array`,
			}[o.Kind]
			lines := wrap(o.Help, 78-23)
			fmt.Fprintf(w, "  %-19s  %s\n", o.Key(), lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "  %-19s  %s\n", "", l)
			}
			fmt.Fprintf(w, "  %-19s  (%s; like --%s)\n", "", kind, o.Flag)
		}
	}
}

func versionCommand() *command {
	return &command{
		name:    "version",
		usage:   "",
		summary: "print tend's version",
		run: func(args []string) int {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Printf("tend %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		},
	}
}
