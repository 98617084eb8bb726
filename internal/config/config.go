// Package config reads the files that declare a set of daemons for
// `tend up`: a tend.toml, or a Procfile with a .env beside it.
//
// # tend.toml
//
// Every top-level table is a daemon, named by the table. Its keys are the
// options of `tend start`, named like the flags with '_' for '-', plus
// command and after:
//
//	[db]
//	command = ["postgres", "-D", "data"]
//	ready = "tcp:127.0.0.1:5432"
//
//	[web]
//	command = "./server --port 8080"
//	after = ["db"]          # started once db is ready; stopped before it
//	env = { PORT = "8080" } # or ["PORT=8080"]
//	env_file = ".env"       # or a list
//	restart = "always"
//	backoff = "1s"          # durations are strings: "500ms", "1m30s"
//
// command is an array of strings, run as is, or a string: a plain command
// line (words, quotes, backslashes) is split into words and run directly;
// one with shell syntax (pipes, redirections, $VAR, globs, ;, &&, a
// leading VAR=value...) is run with /bin/sh -c (see [SplitCommand]).
//
// Relative paths (dir, env_file, log, and a command path such as
// ./server) are relative to the file's directory, and dir defaults to it.
//
// # Procfile
//
// Lines "name: command", command as a string above; blank lines and lines
// starting with '#' are ignored. A .env file beside the Procfile, if there
// is one, applies to every process (as an env_file, read again at every
// start). Processes have no dependencies.
//
// # Errors
//
// Errors are of type [*Error] and name the file, the line and the key:
//
//	tend.toml:7: web.restrat: unknown key
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/definition"
)

// DefaultFiles are the files Find looks for, in order.
var DefaultFiles = []string{"tend.toml", "Procfile"}

// Error is a mistake in a config file.
type Error struct {
	File string // the path as given
	Line int    // 1-based; 0 when it is about the whole file
	Key  string // dotted key, as in web.restart; "" when none
	Msg  string
}

// Error formats e as FILE:LINE: KEY: MSG.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Daemon is one daemon of a file.
type Daemon struct {
	Name string
	// After names the daemons this one comes after: it starts once each
	// meets its condition (Condition; ready by default), and stops
	// before them.
	After []string
	// conditions are after's conditions by name, when it is a table.
	conditions map[string]string
	// Definition is what `tend start` would run, with every path absolute
	// and without BaseEnv (the caller's environment).
	Definition definition.Definition
	// Line is where the daemon is defined.
	Line int
}

// File is a parsed config file.
type File struct {
	// Path is the file's absolute path; Name the path as given.
	Path, Name string
	// Daemons in the order of the file.
	Daemons []*Daemon
}

// Daemon returns the daemon called name, or nil.
func (f *File) Daemon(name string) *Daemon {
	for _, d := range f.Daemons {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// IsTOML reports whether path is read as TOML (a name ending in .toml);
// anything else is read as a Procfile.
func IsTOML(path string) bool { return strings.HasSuffix(path, ".toml") }

// Find returns the config file in dir: tend.toml if present, else
// Procfile. The path returned is relative to dir when dir is ".".
func Find(dir string) (string, error) {
	for _, name := range DefaultFiles {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	shown, err := filepath.Abs(dir)
	if err != nil {
		shown = dir
	}
	return "", fmt.Errorf("no %s in %s: write one, or name one with -f FILE", strings.Join(DefaultFiles, " or "), shown)
}

// Load reads and checks the file at path, TOML or Procfile by its name,
// including its dependency graph: an unknown dependency or a cycle is an
// error. It never blocks on what path names: a FIFO, socket, device or
// directory is refused (as an [*Error]) without being read, and so is a
// file larger than [MaxFileSize]. A file that does not exist or cannot be
// opened is an error wrapping the *fs.PathError.
func Load(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var f *File
	if IsTOML(path) {
		f, err = ParseTOML(data, path, filepath.Dir(abs))
	} else {
		f, err = ParseProcfile(data, path, filepath.Dir(abs))
	}
	if err != nil {
		return nil, err
	}
	f.Path = abs
	return f, nil
}

// finish fills in what every daemon shares, resolves paths against base,
// validates the definitions and checks the graph. keyLine, if not nil,
// returns the line of a dotted key (0 if unknown).
func (f *File) finish(base string, keyLine func(string) int) error {
	for _, d := range f.Daemons {
		def := &d.Definition
		def.Name = d.Name
		if def.Dir == "" {
			def.Dir = base
		}
		for _, p := range []*string{&def.Dir, &def.Log, &def.PIDFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(base, *p)
			}
		}
		for i, p := range def.EnvFiles {
			if !filepath.IsAbs(p) {
				def.EnvFiles[i] = filepath.Join(base, p)
			}
		}
		if len(def.Command) > 0 && strings.Contains(def.Command[0], "/") && !filepath.IsAbs(def.Command[0]) {
			def.Command[0] = filepath.Join(base, def.Command[0])
		}
		if k, msg := badArgs(def.Command, def.Env); msg != "" {
			e := &Error{File: f.Name, Line: d.Line, Key: d.Name, Msg: msg}
			if keyLine != nil {
				e.Key = d.Name + "." + k
				if l := keyLine(e.Key); l > 0 {
					e.Line = l
				}
			}
			return e
		}
		if err := def.Validate(); err != nil {
			e := &Error{File: f.Name, Line: d.Line, Key: d.Name, Msg: flagsToKeys(strings.TrimPrefix(err.Error(), definition.ErrUsage.Error()+": "))}
			// "umask: ..." is about the key umask: point at it.
			if k, rest, ok := strings.Cut(e.Msg, ": "); ok && keyLine != nil && keyLine(d.Name+"."+k) > 0 {
				e.Key, e.Line, e.Msg = d.Name+"."+k, keyLine(d.Name+"."+k), rest
			}
			return e
		}
	}
	if _, err := f.Order(nil); err != nil {
		return err
	}
	return f.checkConditions()
}

// flagsToKeys rewrites the --flag-names of service's messages as the
// keys of a config file.
func flagsToKeys(msg string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, "--")
		if i < 0 {
			break
		}
		b.WriteString(msg[:i])
		msg = msg[i+2:]
		j := 0
		for j < len(msg) && (msg[j] == '-' || msg[j] >= 'a' && msg[j] <= 'z') {
			j++
		}
		b.WriteString(strings.ReplaceAll(msg[:j], "-", "_"))
		msg = msg[j:]
	}
	b.WriteString(msg)
	return b.String()
}

// errNoCommand is the message for a daemon without a command.
const errNoCommand = "no command: give command = \"...\" or [\"prog\", \"arg\"...]"

// lineOf returns the 1-based line of offset in data.
func lineOf(data []byte, offset int) int {
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

var errCycle = errors.New("dependency cycle")
