package systemd

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A unit file is read a line at a time, and a line that ends in a
// backslash goes on in the next one (systemd.syntax(7)). So that every
// setting and comment tend writes is one line, and means what the
// definition says, values are escaped where systemd unescapes them
// (ExecStart=, Environment=), refused where it cannot hold them (a path
// with a newline), and comments quote what is not plain text.

// execLine writes a command line as ExecStart= reads it: each word quoted
// when it must be, with specifiers (%) and variable expansion ($)
// escaped. It refuses a NUL byte, which no command line can carry.
func execLine(argv []string) (string, error) {
	words := make([]string, len(argv))
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return "", fmt.Errorf("systemd: argument %d of the command contains a NUL byte, which no command line can carry: remove it", i+1)
		}
		a = strings.ReplaceAll(a, "$", "$$")
		if a == ";" {
			words[i] = `\;`
			continue
		}
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\;") || !plainText(a) {
			words[i] = quote(a)
		} else {
			words[i] = strings.ReplaceAll(a, "%", "%%")
		}
	}
	return strings.Join(words, " "), nil
}

// quote writes s in double quotes with C-style escapes, as systemd
// unescapes them in ExecStart= and Environment=, and % doubled. Control
// characters and bytes that are not UTF-8 become \xNN, so the line stays
// one line of UTF-8 text.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '%':
			b.WriteString("%%")
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// plainText reports whether s is UTF-8 without control characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// value returns s for a setting that systemd takes as it is, bar
// specifiers (WorkingDirectory=, EnvironmentFile=, User=, Group=,
// ListenStream=): % doubled. It refuses what such a setting cannot hold
// or would read otherwise: control characters (a newline would end the
// line), text that is not UTF-8, blanks at either end (systemd strips
// them) and a trailing backslash (it would continue the line). what
// names the option, as in "--dir".
func value(what, s string) (string, error) {
	switch {
	case !plainText(s):
		return "", fmt.Errorf("systemd: %s %q: a unit file cannot hold control characters or text that is not UTF-8 in this setting: "+
			"rename it, or leave it out of the unit", what, s)
	case strings.TrimSpace(s) != s:
		return "", fmt.Errorf("systemd: %s %q: systemd strips blanks at either end of a setting: remove them", what, s)
	case strings.HasSuffix(s, `\`):
		return "", fmt.Errorf("systemd: %s %q: a trailing backslash would continue the line in a unit file: remove it", what, s)
	}
	return strings.ReplaceAll(s, "%", "%%"), nil
}

// description makes s a one-line Description=: control characters become
// spaces, % is doubled. A description is only shown, so nothing is
// refused.
func description(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return strings.TrimRight(strings.ReplaceAll(s, "%", "%%"), `\ `)
}

// comment returns s for the text of a comment: as it is when it is plain
// one-line text that does not end in a backslash, else Go-quoted, so that
// nothing the user wrote can end the comment's line.
func comment(s string) string {
	if plainText(s) && !strings.HasSuffix(s, `\`) {
		return s
	}
	return strconv.Quote(s)
}

// envAssignment returns kv as the word of an Environment= line. systemd
// ignores, with a warning, an assignment whose name is not letters,
// digits and '_' (not starting with a digit) or whose value is not
// UTF-8, so those are refused: the unit would run without them.
func envAssignment(kv string) (string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || !envName(k) {
		return "", fmt.Errorf("systemd: --env %q: systemd takes only variable names of letters, digits and '_' that do not start with a digit: "+
			"rename the variable", kv)
	}
	if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
		return "", fmt.Errorf("systemd: --env %q: systemd takes only UTF-8 values without NUL bytes: "+
			"change the value", kv)
	}
	return quote(kv), nil
}

func envName(k string) bool {
	if k == "" || '0' <= k[0] && k[0] <= '9' {
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
