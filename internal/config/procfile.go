package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/envfile"
	"github.com/tendhq/tend/internal/state"
)

// DotEnv is the environment file read beside a Procfile.
const DotEnv = ".env"

// ParseProcfile parses a Procfile; name is the path to show in errors and
// base its directory, where relative paths are resolved and the processes
// run. A .env in base, if present, is checked now and given to every
// process as an env file.
//
// A line that no command line can carry fails the whole file, so that
// nothing is started from it: a NUL byte anywhere, a carriage return that
// does not end a line (CR line endings), a process line that is not
// UTF-8, an argument longer than the system accepts. A UTF-8 byte order
// mark at the start and CRLF line endings are fine.
func ParseProcfile(data []byte, name, base string) (*File, error) {
	f := &File{Name: name}
	var envFiles []string
	dotenv := filepath.Join(base, DotEnv)
	if _, err := os.Stat(dotenv); err == nil {
		if _, err := envfile.ParseFile(dotenv); err != nil {
			return nil, err
		}
		envFiles = []string{dotenv}
	}
	text := strings.TrimPrefix(string(data), byteOrderMark)
	for i, raw := range strings.Split(text, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		if msg := badBytes(raw); msg != "" {
			return nil, &Error{File: name, Line: i + 1, Msg: msg}
		}
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		n, cmd, ok := strings.Cut(line, ":")
		n, cmd = strings.TrimSpace(n), strings.TrimSpace(cmd)
		if !ok || n == "" || strings.ContainsAny(n, " \t") {
			return nil, &Error{File: name, Line: i + 1, Msg: "want a line of the form name: command"}
		}
		if err := state.ValidateName(n); err != nil {
			return nil, &Error{File: name, Line: i + 1, Key: n, Msg: strings.TrimPrefix(err.Error(), "state: ")}
		}
		if d := f.Daemon(n); d != nil {
			return nil, &Error{File: name, Line: i + 1, Key: n, Msg: fmt.Sprintf("defined twice (first on line %d)", d.Line)}
		}
		if cmd == "" {
			return nil, &Error{File: name, Line: i + 1, Key: n, Msg: "no command"}
		}
		if msg := badUTF8(raw); msg != "" {
			return nil, &Error{File: name, Line: i + 1, Key: n, Msg: msg}
		}
		argv, err := SplitCommand(cmd)
		if err != nil {
			return nil, &Error{File: name, Line: i + 1, Key: n, Msg: err.Error()}
		}
		d := &Daemon{Name: n, Line: i + 1}
		d.Definition.Command = argv
		d.Definition.EnvFiles = append([]string(nil), envFiles...)
		f.Daemons = append(f.Daemons, d)
	}
	if err := f.finish(base, nil); err != nil {
		return nil, err
	}
	return f, nil
}
