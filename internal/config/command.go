package config

import (
	"errors"
	"strings"
)

// Shell is the shell that runs a command string with shell syntax.
const Shell = "/bin/sh"

// SplitCommand turns a command string into the argument vector tend runs.
//
// A string that is a plain command line, words separated by blanks with
// optional 'single' or "double" quotes and backslash escapes, is split
// into words the way sh would split it, and run directly: the daemon's
// process is the program itself. A string that needs a shell (pipes,
// redirections, ;, &&, variables, globs, ~, a leading VAR=value, a
// comment, a reserved word, a line continuation) is run as
// /bin/sh -c STRING instead, so that it means what it means in a shell;
// when STRING is one simple command (no ;, &&, ||, |, &, subshell or
// compound command), it becomes /bin/sh -c 'exec STRING' (after any
// leading VAR=value assignments), so that the shell is replaced by the
// program and the daemon's main process is the program itself.
// An unterminated quote is an error, and so is a NUL byte, which no
// command line can carry.
func SplitCommand(s string) ([]string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errors.New("the command contains a NUL byte, which no command line can carry: remove it")
	}
	words, shell, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	if shell {
		if at, ok := execPoint(s, words); ok {
			// The shell replaces itself with the program: the daemon's
			// main process is the program, which gets the signals.
			s = s[:at] + "exec " + s[at:]
		}
		return []string{Shell, "-c", s}, nil
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}

// shellWords are the reserved words of sh that can start a command.
var shellWords = map[string]bool{
	"!": true, "{": true, "}": true, "case": true, "do": true, "done": true, "elif": true,
	"else": true, "esac": true, "fi": true, "for": true, "if": true, "in": true,
	"then": true, "until": true, "while": true, "exec": true, "eval": true,
	".": true, "source": true, "set": true, "export": true, "cd": true,
}

// splitWords splits s like sh splits a simple command with no expansion,
// and reports whether s uses syntax that only a shell can honour.
func splitWords(s string) (words []string, shell bool, err error) {
	var (
		cur    strings.Builder
		inWord bool // cur holds a word, possibly empty ("")
		quoted bool // the current word has a quoted part
	)
	end := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord, quoted = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			end()
		case c == '\n' || c == '\r':
			return nil, true, nil
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false, errors.New("unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord, quoted = true, true
			i += j + 1
		case c == '"':
			inWord, quoted = true, true
			closed := false
			for i++; i < len(s); i++ {
				c := s[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '$' || c == '`' {
					shell = true
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					c = s[i]
				}
				cur.WriteByte(c)
			}
			if !closed {
				return nil, false, errors.New("unterminated \" quote")
			}
		case c == '\\':
			if i+1 >= len(s) || s[i+1] == '\n' {
				return nil, true, nil // a continuation, or a trailing backslash
			}
			i++
			cur.WriteByte(s[i])
			inWord, quoted = true, true
		case strings.IndexByte("|&;<>()$`*?[", c) >= 0:
			shell = true
			cur.WriteByte(c)
			inWord = true
		case (c == '#' || c == '~') && !inWord:
			shell = true // a comment, or a home directory
			cur.WriteByte(c)
			inWord = true
		case c == '=' && len(words) == 0 && !quoted && validName(cur.String()):
			shell = true // VAR=value cmd: an assignment
			cur.WriteByte(c)
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	end()
	if len(words) > 0 && shellWords[words[0]] {
		shell = true
	}
	return words, shell, nil
}

func validName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// execPoint says where "exec " goes in s, a command string that needs a
// shell, for the shell to replace itself with the program: before the
// first word that is not an assignment. ok is false when s is more than
// one simple command (a list, a pipeline, something run in the
// background, a subshell or compound command, a function), when it runs
// no program (only assignments), or when its first word is a builtin
// that exec cannot run. words is s split by splitWords, nil when it could
// not split it (a newline or a continuation): then ok is false too.
func execPoint(s string, words []string) (at int, ok bool) {
	if len(words) == 0 {
		return 0, false
	}
	starts, ok := simpleCommand(s)
	if !ok {
		return 0, false
	}
	for i, w := range words {
		if i >= len(starts) {
			return 0, false
		}
		if k, _, isAssign := strings.Cut(w, "="); isAssign && validName(k) && !strings.ContainsAny(s[starts[i]:starts[i]+len(k)], "'\"\\") {
			continue
		}
		if shellWords[w] || notExecable[w] {
			return 0, false
		}
		return starts[i], true
	}
	return 0, false // only assignments
}

// notExecable are builtins that exec cannot run, or that mean something
// else run that way.
var notExecable = map[string]bool{
	":": true, "alias": true, "bg": true, "break": true, "command": true, "continue": true,
	"fg": true, "getopts": true, "hash": true, "jobs": true, "read": true, "readonly": true, "return": true,
	"shift": true, "times": true, "trap": true, "type": true, "ulimit": true, "umask": true, "unalias": true,
	"unset": true, "wait": true, "local": true, "function": true,
}

// simpleCommand reports whether s is one simple command, and where each of
// its words starts. It knows quotes, escapes, redirections (2>&1 is not a
// background &) and $( ) substitutions.
func simpleCommand(s string) (starts []int, ok bool) {
	inWord := false
	begin := func(i int) {
		if !inWord {
			starts = append(starts, i)
			inWord = true
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			inWord = false
		case c == '\n' || c == ';' || c == '(' || c == ')':
			return nil, false
		case c == '&' || c == '|':
			if i > 0 && (s[i-1] == '>' || s[i-1] == '<') {
				begin(i) // a redirection: >&, <&, >|
				continue
			}
			return nil, false
		case c == '\'':
			begin(i)
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			i += j + 1
		case c == '"':
			begin(i)
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case c == '\\':
			begin(i)
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			begin(i)
			depth := 0
			for i++; i < len(s); i++ {
				if s[i] == '(' {
					depth++
				} else if s[i] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
		default:
			begin(i)
		}
	}
	return starts, true
}
