package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
)

// commandLine is the command that tend start or tend run was given, as
// it is to be run (see splitSingle). When the command goes through the
// shell, it says so on stderr, in one line.
func commandLine(def *definition.Definition, argv []string) ([]string, error) {
	cmd, shell, err := splitSingle(argv, def.Env)
	if err != nil {
		return nil, usageErr("", "%s", err)
	}
	if shell {
		fmt.Fprintf(os.Stderr, "note: %s: the command is a shell line, so it runs as a Procfile line does: %s\n",
			def.Name, shellQuote(cmd))
	}
	return cmd, nil
}

// splitSingle reads a command given as one argument that is not a
// program, such as 'node worker.js | grep job', the way a Procfile line
// is read (config.SplitCommand), as pm2 start "..." does: plain words
// are split and run directly; shell syntax (pipes, redirections, $VAR,
// ;, &&...) makes it /bin/sh -c LINE, and shell says so. A command of
// several arguments, or one argument that names an existing program
// (a path with blanks in it, or a name found in PATH, that of env if it
// sets one), is returned as it is.
func splitSingle(argv, env []string) (cmd []string, shell bool, err error) {
	if len(argv) != 1 || isProgram(argv[0], env) {
		return argv, false, nil
	}
	words, err := config.SplitCommand(argv[0])
	if err != nil {
		return nil, false, fmt.Errorf("the command %q is not a program, and cannot be read as a command line: %v", argv[0], err)
	}
	// SplitCommand gives /bin/sh -c LINE, LINE with "exec " put in
	// before the program when it is one simple command.
	shell = len(words) == 3 && words[0] == config.Shell && words[1] == "-c" &&
		(words[2] == argv[0] || strings.Replace(words[2], "exec ", "", 1) == argv[0])
	return words, shell, nil
}

// isProgram reports whether arg names a file that exists (a path, from
// the current folder), or a program in the PATH that env sets, else in
// tend's own.
func isProgram(arg string, env []string) bool {
	if strings.Contains(arg, "/") {
		_, err := os.Stat(arg)
		return err == nil
	}
	probe := definition.Definition{Command: []string{arg}}
	return probe.Program(env) != arg
}
