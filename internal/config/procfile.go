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
func ParseProcfile(data []byte, name, base string) (*File, error) {
	f := &File{Name: name}
	var envFiles []string
	dotenv := filepath.Join(base, DotEnv)
	if _, err := os.Stat(dotenv); err == nil {
		if _, err := envfile.ParseFile(dotenv); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		envFiles = []string{dotenv}
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
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
