package main

import (
	"fmt"
	"slices"
	"strings"
)

// Shell completion: the scripts ask tend itself what fits (tend __complete
// WORD...), as cobra's do, so that they complete daemon names, options and
// their values, and stay right when tend changes.

func completionCommand() *command {
	return &command{
		name:    "completion",
		usage:   "bash|zsh|fish",
		summary: "print a shell completion script",
		help: `Print a completion script for bash, zsh or fish. It completes commands,
options and their values, and daemon names. Install it with, for bash:
  tend completion bash > /etc/bash_completion.d/tend      (or: source <(tend completion bash))
for zsh (in a directory of your $fpath):
  tend completion zsh > "${fpath[1]}/_tend"               (or: source <(tend completion zsh))
for fish:
  tend completion fish > ~/.config/fish/completions/tend.fish`,
		flags:    func() *flagSet { return newFlagSet("completion") },
		complete: "shells",
		run: func(args []string) int {
			p, code, done := parseArgs(completionCommand(), newFlagSet("completion"), args)
			if done {
				return code
			}
			if len(p.args) != 1 {
				return fail(usageErr("completion", "name a shell: tend completion bash|zsh|fish"))
			}
			switch p.args[0] {
			case "bash":
				fmt.Print(bashCompletion)
			case "zsh":
				fmt.Print(zshCompletion)
			case "fish":
				fmt.Print(fishCompletion)
			default:
				return fail(usageErr("completion", "unknown shell %q: bash, zsh or fish", p.args[0]))
			}
			return exitOK
		},
	}
}

const bashCompletion = `# bash completion for tend: source it, or put it in /etc/bash_completion.d/tend
_tend() {
    local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n'
    COMPREPLY=($(tend __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _tend tend
`

const zshCompletion = `#compdef tend
# zsh completion for tend: put it in a directory of $fpath as _tend, or source it
_tend() {
    local -a candidates
    candidates=("${(@f)$(tend __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ -n ${candidates[1]} ]]; then
        compadd -a candidates
    else
        _files
    fi
}
if [[ "${funcstack[1]}" == "_tend" ]]; then
    _tend "$@"
else
    compdef _tend tend
fi
`

const fishCompletion = `# fish completion for tend: put it in ~/.config/fish/completions/tend.fish
function __tend_complete
    set -l words (commandline -opc) (commandline -ct)
    tend __complete $words[2..-1] 2>/dev/null
end
complete -c tend -f -a '(__tend_complete)'
`

func completeCommand() *command {
	return &command{
		name:    "__complete",
		usage:   "WORD...",
		summary: "(internal) print the completions of a command line, for the shell scripts",
		run: func(args []string) int {
			for _, c := range completions(args) {
				fmt.Println(c)
			}
			return exitOK
		},
	}
}

// completions returns what may come in place of the last word of words
// (the words after "tend"; the last one is being typed, maybe empty).
func completions(words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	if len(words) == 1 {
		var names []string
		for _, c := range commands() {
			names = append(names, c.name)
		}
		return matching(names, cur)
	}
	c := findCommand(words[0])
	if c == nil {
		return nil
	}
	fs := newFlagSet(c.name)
	if c.flags != nil {
		fs = c.flags()
	}
	// Walk the words typed so far: the options, their values, the
	// arguments.
	pos, dashdash := 0, false
	for i := 1; i < len(words)-1; i++ {
		w := words[i]
		switch {
		case dashdash || w == "-" || !strings.HasPrefix(w, "-"):
			pos++
		case w == "--":
			dashdash = true
		case strings.HasPrefix(w, "--") && !strings.Contains(w, "="):
			if o := fs.lookup(w[2:]); o != nil && !o.isSwitch() {
				i++ // its value
			}
		case !strings.HasPrefix(w, "--") && len(w) == 2:
			if o := fs.lookupShort(w[1]); o != nil && !o.isSwitch() {
				i++
			}
		}
	}
	if prev := words[len(words)-2]; strings.HasPrefix(prev, "-") && prev != "--" && !dashdash {
		var o *option
		if strings.HasPrefix(prev, "--") {
			o = fs.lookup(strings.TrimPrefix(prev, "--"))
		} else if len(prev) == 2 {
			o = fs.lookupShort(prev[1])
		}
		if o != nil && !o.isSwitch() {
			return matching(optionValues(o), cur)
		}
	}
	if fs.commandAt >= 0 && (dashdash || pos > fs.commandAt || pos == fs.commandAt && !strings.HasPrefix(cur, "-")) {
		return nil // the command to run: the shell completes files
	}
	if strings.HasPrefix(cur, "-") && !dashdash {
		return matching(append(fs.words(), "--help"), cur)
	}
	switch {
	case c.complete == "commands":
		return completions([]string{cur})
	case c.complete == "shells":
		return matching([]string{"bash", "zsh", "fish"}, cur)
	case c.name == "export" && pos == 0:
		return matching([]string{"systemd"}, cur)
	case c.name == "signal" && pos == 1:
		return matching([]string{"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "CONT", "STOP", "WINCH"}, cur)
	case c.name == "signal" && pos > 1:
		return nil
	case c.complete == "daemons" || c.name == "export" || c.name == "up" || c.name == "down":
		return matching(daemonNames(c.name == "up" || c.name == "down"), cur)
	}
	return nil
}

// optionValues returns the values an option is likely to take.
func optionValues(o *option) []string {
	switch o.long {
	case "restart":
		return []string{"on-failure", "always", "never"}
	case "ready":
		return []string{"settled", "exec", "notify", "fd:", "tcp:", "unix:", "http://", "file:", "after:", "log:"}
	case "health":
		return []string{"tcp:", "unix:", "http://", "exec:"}
	case "stop-signal":
		return []string{"TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "KILL"}
	case "project":
		return projectNames()
	}
	return nil
}

// daemonNames lists the daemons, and the short names of projects'
// daemons. For up and down, the daemons of the file in the current
// folder.
func daemonNames(ofFile bool) []string {
	if ofFile {
		if f, err := loadFile(""); err == nil {
			var out []string
			for _, d := range f.Daemons {
				out = append(out, d.Name)
			}
			return out
		}
		return nil
	}
	store, err := openStore()
	if err != nil {
		return nil
	}
	names, _ := store.List()
	out := slices.Clone(names)
	for _, n := range names {
		if def, ok := loadDefinition(store, n); ok && def.Project != "" {
			out = append(out, strings.TrimPrefix(n, def.Project+projectSeparator))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func projectNames() []string {
	store, err := openStore()
	if err != nil {
		return nil
	}
	names, _ := store.List()
	var out []string
	for _, n := range names {
		if def, ok := loadDefinition(store, n); ok && def.Project != "" {
			out = append(out, def.Project)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// matching returns the words that start with prefix.
func matching(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			out = append(out, w)
		}
	}
	return out
}
