package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/systemd"
)

// runExportFile is `tend export systemd -f FILE [--dir DIR]`: one unit per
// daemon of the file, with After= and Requires= from its after list.
func runExportFile(args []string) int {
	fs := flag.NewFlagSet("tend export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "")
	outDir := fs.String("dir", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *file == "" {
		return usageError("export: usage: tend export systemd -f FILE [--dir DIR]")
	}
	f, err := loadFile(*file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return exitUsage
	}
	order, err := f.Order(nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return exitUsage
	}
	for i, d := range order {
		def := d.Definition
		env, err := def.Environment()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", d.Name, err))
		}
		units, err := systemd.Render(&def, append([]string{def.Program(env)}, def.Command[1:]...))
		if err != nil {
			return fail(fmt.Errorf("%s: %w", d.Name, err))
		}
		service := withDependencies(units.Service, d.After)
		if *outDir != "" {
			if err := os.WriteFile(filepath.Join(*outDir, units.Name+".service"), []byte(service), 0o644); err != nil {
				return fail(err)
			}
			if units.Socket != "" {
				if err := os.WriteFile(filepath.Join(*outDir, units.Name+".socket"), []byte(units.Socket), 0o644); err != nil {
					return fail(err)
				}
			}
			continue
		}
		if i > 0 {
			fmt.Println()
		}
		fmt.Printf("# ---- %s.service\n%s", units.Name, service)
		if units.Socket != "" {
			fmt.Printf("\n# ---- %s.socket\n%s", units.Name, units.Socket)
		}
	}
	return exitOK
}

// withDependencies adds After= and Requires= for deps to a unit's [Unit]
// section.
func withDependencies(unit string, deps []string) string {
	if len(deps) == 0 {
		return unit
	}
	var names []string
	for _, d := range deps {
		names = append(names, d+".service")
	}
	lines := "After=" + strings.Join(names, " ") + "\nRequires=" + strings.Join(names, " ") + "\n"
	if i := strings.Index(unit, "[Unit]\n"); i >= 0 {
		i += len("[Unit]\n")
		return unit[:i] + lines + unit[i:]
	}
	return "[Unit]\n" + lines + "\n" + unit
}
