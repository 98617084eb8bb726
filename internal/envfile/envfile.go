// Package envfile parses environment files: the files given to
// tend's --env-file flag and the .env file next to a Procfile.
//
// # Syntax
//
// A file is a sequence of lines (LF or CRLF). Each line is one of:
//
//   - blank, or only spaces and tabs: ignored;
//   - a comment, whose first non-blank character is '#': ignored;
//   - an assignment, KEY=VALUE, optionally preceded by "export " (so the
//     file can also be sourced by a shell).
//
// KEY matches [A-Za-z_][A-Za-z0-9_]*. Spaces and tabs around KEY and
// around '=' are ignored. VALUE is one of:
//
//   - unquoted: the rest of the line with surrounding spaces and tabs
//     removed. A '#' preceded by a space or tab starts a comment
//     (FOO=a #note is "a"); elsewhere '#' is literal (FOO=a#b is "a#b").
//     Quotes and backslashes inside an unquoted value are literal.
//   - single-quoted, 'like this': taken literally, with no escapes, so it
//     cannot contain a single quote.
//   - double-quoted, "like this": the escapes \n (newline), \t (tab),
//     \" \\ and \$ are recognised; any other backslash is an error.
//
// A quoted value must close on the same line, and only spaces, tabs or a
// comment may follow the closing quote. There is no variable expansion,
// command substitution or line continuation: '$' is always literal (\$ is
// accepted in double quotes for compatibility with files written for
// shells). NUL bytes are rejected, since they cannot appear in an
// environment, and so is a carriage return that does not end a line (a
// file saved with old Mac CR line endings would otherwise read as one
// line). A UTF-8 byte order mark at the start is ignored. Values are
// bytes: they need not be UTF-8, as an environment need not be.
//
// A key may appear more than once; every assignment is returned in order,
// and the later one wins when the result is used as [os/exec.Cmd.Env].
//
// Input is bounded: at most [MaxSize] bytes in all and [MaxLine] bytes per
// line. Errors are of type [*Error] and name the file and line, as in
//
//	envfile: .env:3: missing '=' after "FOO"
//
// # Files
//
// [ParseFile] and [ReadFile] read a file a user named, so they must not
// hang or misbehave on whatever that name turns out to be: they open it
// without blocking (O_NONBLOCK, so that a FIFO with no writer does not
// block the open, and a FIFO is never read), without making a terminal
// the caller's controlling terminal (O_NOCTTY) and without leaking the
// descriptor to children (O_CLOEXEC); then they refuse, with
// [ErrNotRegular], anything that is not a regular file: a FIFO, a socket,
// a device, a directory. Symbolic links are followed: the name is the
// user's own choice.
package envfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

const (
	// MaxSize is the largest input Parse accepts, in bytes.
	MaxSize = 1 << 20
	// MaxLine is the longest line Parse accepts, in bytes, without the
	// line ending.
	MaxLine = 64 << 10
)

// Error is a syntax or size error in an environment file, or a file that
// cannot be one.
type Error struct {
	File string // the name given to Parse, or the path given to ParseFile
	Line int    // 1-based line number; 0 when the error is about the whole file
	Msg  string // what is wrong
	// Err is the condition behind Msg, for errors.Is: [ErrNotRegular]
	// or [ErrTooLarge]; nil for syntax errors.
	Err error
}

// Error formats e as "envfile: FILE:LINE: MSG".
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("envfile: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("envfile: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads an environment file from r and returns its assignments as
// "KEY=VALUE" strings, in file order. name identifies the input in errors.
// Syntax errors and oversized input are reported as [*Error]; read errors
// from r are wrapped.
func Parse(r io.Reader, name string) ([]string, error) {
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxLine+2) // room for "\r\n"
	tooBig := func() bool { return lr.N <= 0 }
	sizeErr := tooLarge(name, "file is")

	var env []string
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		kv, err := parseLine(line)
		if err != "" {
			if tooBig() { // the line may have been cut by the limit
				return nil, sizeErr
			}
			return nil, &Error{File: name, Line: n, Msg: err}
		}
		if kv != "" {
			env = append(env, kv)
		}
	}
	switch err := sc.Err(); {
	case tooBig():
		return nil, sizeErr
	case errors.Is(err, bufio.ErrTooLong):
		return nil, &Error{File: name, Line: n + 1, Msg: fmt.Sprintf("line is longer than %d bytes", MaxLine)}
	case err != nil:
		return nil, fmt.Errorf("envfile: read %s: %w", name, err)
	}
	return env, nil
}

// parseLine returns "KEY=VALUE" for an assignment, "" for a blank or
// comment line, or a non-empty message describing a syntax error.
func parseLine(line string) (kv, errMsg string) {
	if len(line) > MaxLine {
		return "", fmt.Sprintf("line is longer than %d bytes", MaxLine)
	}
	if i := strings.IndexByte(line, 0); i >= 0 {
		return "", fmt.Sprintf("line contains a NUL byte (column %d), which no environment variable can hold: remove it", i+1)
	}
	if i := strings.IndexByte(line, '\r'); i >= 0 {
		return "", fmt.Sprintf("line contains a carriage return (column %d) that does not end it: "+
			"save the file with LF (or CRLF) line endings", i+1)
	}
	s := trimLeft(line)
	if s == "" || s[0] == '#' {
		return "", ""
	}
	if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && isBlank(rest[0]) {
		s = trimLeft(rest)
	}
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return "", fmt.Sprintf("missing '=' after %q", clip(firstWord(s)))
	}
	key := trimRight(s[:eq])
	if !validKey(key) {
		return "", fmt.Sprintf("invalid name %q: names are letters, digits and '_', and do not start with a digit", clip(key))
	}
	val, errMsg := parseValue(s[eq+1:])
	if errMsg != "" {
		return "", fmt.Sprintf("%s: %s", key, errMsg)
	}
	return key + "=" + val, ""
}

// parseValue parses what follows '=' on a line.
func parseValue(raw string) (val, errMsg string) {
	v := trimLeft(raw)
	if v == "" {
		return "", ""
	}
	var rest string
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", "single-quoted value is not closed on this line"
		}
		val, rest = v[1:1+end], v[2+end:]
	case '"':
		var errMsg string
		val, rest, errMsg = doubleQuoted(v[1:])
		if errMsg != "" {
			return "", errMsg
		}
	default:
		// A '#' starts a comment only after a blank; raw still has the
		// blanks that followed '=', so "FOO= #x" is empty and "FOO=#x" is not.
		for i := 1; i < len(raw); i++ {
			if raw[i] == '#' && isBlank(raw[i-1]) {
				raw = raw[:i]
				break
			}
		}
		return trimRight(trimLeft(raw)), ""
	}
	if rest = trimLeft(rest); rest != "" && rest[0] != '#' {
		return "", fmt.Sprintf("unexpected %q after the closing quote", clip(rest))
	}
	return val, ""
}

// doubleQuoted decodes s, the text after an opening '"', up to the closing
// quote, and returns the value and what follows the closing quote.
func doubleQuoted(s string) (val, rest, errMsg string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], ""
		case '\\':
			i++
			if i == len(s) {
				return "", "", "double-quoted value is not closed on this line"
			}
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$':
				b.WriteByte(s[i])
			default:
				r, _ := utf8.DecodeRuneInString(s[i:])
				return "", "", fmt.Sprintf(`unknown escape "\%c" in double quotes; `+
					`the escapes are \n \t \" \\ \$ (use single quotes for literal text)`, r)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", "double-quoted value is not closed on this line"
}

func validKey(k string) bool {
	if k == "" || ('0' <= k[0] && k[0] <= '9') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func trimLeft(s string) string  { return strings.TrimLeft(s, " \t") }
func trimRight(s string) string { return strings.TrimRight(s, " \t") }

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
