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
// /bin/sh -c STRING instead, so that it means what it means in a shell.
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
