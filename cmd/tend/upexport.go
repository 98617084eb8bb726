package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
		if units, err = units.WithAfter(d.After); err != nil {
			return fail(fmt.Errorf("%s: %w", d.Name, err))
		}
		if *outDir != "" {
			if err := os.WriteFile(filepath.Join(*outDir, units.ServiceUnit()), []byte(units.Service), 0o644); err != nil {
				return fail(err)
			}
			if units.Socket != "" {
				if err := os.WriteFile(filepath.Join(*outDir, units.SocketUnit()), []byte(units.Socket), 0o644); err != nil {
					return fail(err)
				}
			}
			continue
		}
		if i > 0 {
			fmt.Println()
		}
		fmt.Printf("# ---- %s\n%s", units.ServiceUnit(), units.Service)
		if units.Socket != "" {
			fmt.Printf("\n# ---- %s\n%s", units.SocketUnit(), units.Socket)
		}
	}
	return exitOK
}
