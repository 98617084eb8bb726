package state

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameLen is the longest daemon name, in bytes.
const MaxNameLen = 64

// ErrBadName is wrapped by every error [ValidateName] returns.
var ErrBadName = errors.New("state: invalid daemon name")

// nameRule is appended to every ErrBadName error so the user learns what
// would have been accepted.
const nameRule = "names are 1-64 characters from A-Z a-z 0-9 . _ @ : + - " +
	"and may not start with '.' or '-' or contain \"..\""

// ValidateName reports whether name can name a daemon. A valid name is
// 1 to [MaxNameLen] bytes of ASCII letters, digits and the punctuation
// ". _ @ : + -", does not start with '.' or '-' (so it is never a hidden
// file, never "." or "..", and never mistaken for a command-line flag), and
// contains no "..". The set is deliberately ASCII-only: names become file
// names and appear in ps output and shell commands, where look-alike
// Unicode letters and whitespace cause more harm than they are worth.
//
// The error wraps [ErrBadName], quotes the name, and says what is wrong
// and what is allowed.
func ValidateName(name string) error {
	switch {
	case name == "":
		return badName(name, "is empty")
	case len(name) > MaxNameLen:
		return badName(name, fmt.Sprintf("is %d bytes long, more than %d", len(name), MaxNameLen))
	case name[0] == '.' || name[0] == '-':
		return badName(name, fmt.Sprintf("starts with %q", name[0]))
	case strings.Contains(name, ".."):
		return badName(name, `contains ".."`)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return badName(name, fmt.Sprintf("contains %q at byte %d", r, i))
		}
	}
	return nil
}

func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._@:+-", c) >= 0
}

func badName(name, why string) error {
	return fmt.Errorf("%w %q: it %s; %s", ErrBadName, name, why, nameRule)
}
