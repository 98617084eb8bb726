package main

import (
	"fmt"
	"strings"
)

func completionCommand() *command {
	return &command{
		name:    "completion",
		usage:   "bash|zsh",
		summary: "print a shell completion script",
		help: `Print a completion script for bash or zsh. Install it with, for bash:
  tend completion bash > /etc/bash_completion.d/tend
or for zsh (in a directory of your $fpath):
  tend completion zsh > "${fpath[1]}/_tend"`,
		run: func(args []string) int {
			if len(args) != 1 {
				return usageError("completion: usage: tend completion bash|zsh")
			}
			var names []string
			for _, c := range commands() {
				names = append(names, c.name)
			}
			switch args[0] {
			case "bash":
				fmt.Printf(bashCompletion, strings.Join(names, " "))
			case "zsh":
				fmt.Printf(zshCompletion, strings.Join(names, " "))
			default:
				return usageError("completion: unknown shell %q (bash or zsh)", args[0])
			}
			return exitOK
		},
	}
}

// The scripts complete command names, then daemon names from `tend list`.
const bashCompletion = `# bash completion for tend
_tend() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "%s" -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
    stop|restart|status|logs|log|signal)
        COMPREPLY=($(compgen -W "$(tend list 2>/dev/null | awk 'NR>1 {print $1}')" -- "$cur")) ;;
    help)
        COMPREPLY=($(compgen -W "%[1]s" -- "$cur")) ;;
    completion)
        COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
    esac
}
complete -F _tend tend
`

const zshCompletion = `#compdef tend
# zsh completion for tend
_tend() {
    if (( CURRENT == 2 )); then
        compadd -- %s
        return
    fi
    case $words[2] in
    stop|restart|status|logs|log|signal)
        compadd -- ${(f)"$(tend list 2>/dev/null | awk 'NR>1 {print $1}')"} ;;
    help)
        compadd -- %[1]s ;;
    completion)
        compadd -- bash zsh ;;
    esac
}
_tend "$@"
`
