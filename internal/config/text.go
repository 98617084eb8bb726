package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tendhq/tend/internal/definition"
)

// byteOrderMark is the UTF-8 byte order mark some editors write first; it
// is not part of the first line.
const byteOrderMark = "\uFEFF"

// badBytes returns what is wrong with a line that no command line can
// carry, or "": a NUL byte, which ends every string exec(2) is given, and
// a carriage return that does not end the line (the caller has removed
// the CR of a CRLF), which means the file has old Mac line endings and
// this "line" holds several.
func badBytes(line string) string {
	if i := strings.IndexByte(line, 0); i >= 0 {
		return fmt.Sprintf("line contains a NUL byte (column %d), which no command line can carry: remove it", i+1)
	}
	if i := strings.IndexByte(line, '\r'); i >= 0 {
		return fmt.Sprintf("line contains a carriage return (column %d) that does not end it: "+
			"save the file with LF (or CRLF) line endings", i+1)
	}
	return ""
}

// badUTF8 returns what is wrong with a line that is not UTF-8, or "".
// Commands must be: tend stores them as JSON (definition.json), which
// would replace every invalid byte, and then run something else than the
// file says.
func badUTF8(line string) string {
	if utf8.ValidString(line) {
		return ""
	}
	i := 0
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return fmt.Sprintf("line is not valid UTF-8 (byte 0x%02x at column %d): save the file as UTF-8", line[i], i+1)
}

// badArgs checks a command and an environment against the length exec(2)
// accepts for one string, and returns the key concerned ("command" or
// "env") and what is wrong, or "", "".
func badArgs(command, env []string) (key, msg string) {
	max := definition.MaxArgLen()
	if max <= 0 {
		return "", ""
	}
	for i, a := range command {
		if len(a) > max {
			return "command", fmt.Sprintf("argument %d of the command is %d bytes; Linux refuses an argument over %d bytes: "+
				"pass the data in a file instead", i+1, len(a), max)
		}
	}
	for _, kv := range env {
		if len(kv) > max {
			k, _, _ := strings.Cut(kv, "=")
			return "env", fmt.Sprintf("variable %s is %d bytes (%s= and the value); Linux refuses an environment variable over %d bytes: "+
				"put the value in a file", k, len(kv), k, max)
		}
	}
	return "", ""
}

// bareCR returns the offset of the first carriage return in data that is
// not followed by a line feed, or -1.
func bareCR(data []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\r')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 == len(data) || data[i+1] != '\n' {
			return i
		}
		i++
	}
}

// anyString reports whether bad holds for a string in v: a string, or
// arrays and tables of them as decoded from TOML (table keys included).
func anyString(v any, bad func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return bad(x)
	case []string:
		for _, s := range x {
			if bad(s) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if anyString(e, bad) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if bad(k) || anyString(e, bad) {
				return true
			}
		}
	}
	return false
}
