// Package rawstr carries strings of arbitrary bytes through JSON without
// loss. Unix arguments, environment values and paths are bytes, which a Go
// string holds as they are; but encoding/json replaces every byte that is
// not UTF-8 with U+FFFD, so that `tend start -- cat $'caf\xe9.txt'` would
// open caf\uFFFD.txt. A String or Strings is written as JSON strings when
// it is valid UTF-8, so that records stay readable, and otherwise as an
// object {"base64": "..."} holding its bytes (RFC 4648, standard
// alphabet, padded). Both forms are read back.
package rawstr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// String is a string of any bytes; see the package doc for its JSON.
type String string

// Strings is a list of strings of any bytes. Its underlying type is
// []string, so a []string is assignable to it and back.
type Strings []string

// encoded is the JSON form of a string that is not valid UTF-8.
type encoded struct {
	Base64 []byte `json:"base64"` // encoding/json writes []byte as base64
}

// MarshalJSON writes s as a JSON string if it is UTF-8, else as
// {"base64": "..."}.
func (s String) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(encoded{Base64: []byte(s)})
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var e struct {
			Base64 *[]byte `json:"base64"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		if e.Base64 == nil {
			return fmt.Errorf(`rawstr: an object in place of a string has no "base64" member: %.40s`, b)
		}
		*s = String(*e.Base64)
		return nil
	}
	var plain string
	if err := json.Unmarshal(b, &plain); err != nil {
		return err
	}
	*s = String(plain)
	return nil
}

// MarshalJSON writes ss as a JSON array of the forms of String (null when
// nil).
func (ss Strings) MarshalJSON() ([]byte, error) {
	if ss == nil {
		return []byte("null"), nil
	}
	list := make([]String, len(ss))
	for i, s := range ss {
		list[i] = String(s)
	}
	return json.Marshal(list)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (ss *Strings) UnmarshalJSON(b []byte) error {
	var list []String
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	if list == nil {
		*ss = nil
		return nil
	}
	out := make(Strings, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	*ss = out
	return nil
}
