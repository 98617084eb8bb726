package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// definitionFlags declares the options of a definition (definition.Options)
// on fs, each setting def.
func definitionFlags(fs *flagSet, def *definition.Definition) {
	for _, o := range definition.Options() {
		help := o.Help
		if o.Default != "" {
			help += " (default: " + o.Default + ")"
		}
		opt := fs.add(o.Flag, 0, o.Arg, help, func(v string) error { return o.Set(def, v) })
		opt.group = o.Group
	}
}

// parseDefinition parses "[options] [--] CMD [ARG...]", the options of
// `tend start` after its name, into a definition for name (see
// finishDefinition). It is how tend up reads a daemon of its file: from
// the options that Definition.Args gives for it.
func parseDefinition(name string, args []string) (*definition.Definition, error) {
	def := &definition.Definition{Name: name}
	fs := newFlagSet("start")
	fs.commandAt = 0
	definitionFlags(fs, def)
	p, err := fs.parse(args)
	if err == errHelp {
		err = usageErr("start", "--help is not an option of a daemon")
	}
	if err != nil {
		return nil, err
	}
	return finishDefinition(def, p.command)
}

// finishDefinition completes a definition whose options are parsed: the
// command, paths made absolute from the current folder (which is also the
// default --dir), the default restart policy written out, and the
// current environment captured; then it validates it.
func finishDefinition(def *definition.Definition, command []string) (*definition.Definition, error) {
	def.Command = command
	if len(def.Command) > 0 && strings.Contains(def.Command[0], "/") && !filepath.IsAbs(def.Command[0]) {
		// ./server means the one here, not one relative to --dir.
		abs, err := filepath.Abs(def.Command[0])
		if err != nil {
			return nil, err
		}
		def.Command = append([]string{abs}, def.Command[1:]...)
	}
	if def.Dir == "" {
		// The folder tend is run from, as with pm2, foreman and
		// supervisord; --dir / for the daemon(7) way.
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("the current folder is gone (%v): give --dir DIR", err)
		}
		def.Dir = wd
	}
	for i, f := range def.EnvFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		def.EnvFiles[i] = abs
	}
	for _, p := range []*string{&def.Dir, &def.Log, &def.PIDFile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return nil, err
			}
			*p = abs
		}
	}
	if def.Restart == "" {
		def.Restart = definition.OnFailure.String()
		if def.Task() {
			def.Restart = definition.Never.String() // a task runs to completion
		}
	}
	if !def.ClearEnv {
		def.BaseEnv = withoutTendEnv(os.Environ())
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	if err := def.CheckLimits(); err != nil {
		return nil, err
	}
	return def, nil
}

// withoutTendEnv drops variables that belong to the supervisor, not to the
// command it runs.
func withoutTendEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "INVOCATION_ID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC",
			"WATCHDOG_PID", "TEND_FOREGROUND", supervisor.CrashPointEnv, status.InvocationEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}
