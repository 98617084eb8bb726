package proc

import (
	"bytes"
	"fmt"
	"strconv"
)

// stat holds the fields of /proc/PID/stat that tend uses.
type stat struct {
	PID       int
	Comm      string
	State     byte // R, S, D, Z, T, t, X, I, ...
	PPID      int
	PGID      int
	SID       int
	StartTime uint64 // clock ticks since boot
}

// parseStat parses the contents of /proc/PID/stat. The comm field (2) is
// wrapped in parentheses but may itself contain spaces and parentheses, so it
// runs from the first '(' to the LAST ')'; the remaining fields are
// space-separated and cannot contain either.
func parseStat(b []byte) (stat, error) {
	var s stat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return s, fmt.Errorf("proc: parse stat: no (comm) field in %q", truncate(b))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil || pid <= 0 {
		return s, fmt.Errorf("proc: parse stat: bad pid in %q", truncate(b))
	}
	s.PID = pid
	s.Comm = string(b[open+1 : end])
	// After ')' come fields 3 (state) onwards; field n is rest[n-3].
	rest := bytes.Fields(b[end+1:])
	const startTimeField = 22
	if len(rest) < startTimeField-2 {
		return s, fmt.Errorf("proc: parse stat: %d fields after comm, want at least %d", len(rest), startTimeField-2)
	}
	if len(rest[0]) != 1 {
		return s, fmt.Errorf("proc: parse stat: bad state %q", rest[0])
	}
	s.State = rest[0][0]
	ints := []*int{&s.PPID, &s.PGID, &s.SID} // fields 4, 5, 6
	for i, p := range ints {
		v, err := strconv.Atoi(string(rest[1+i]))
		if err != nil {
			return s, fmt.Errorf("proc: parse stat: field %d: %w", 4+i, err)
		}
		*p = v
	}
	s.StartTime, err = strconv.ParseUint(string(rest[startTimeField-3]), 10, 64)
	if err != nil {
		return s, fmt.Errorf("proc: parse stat: start time: %w", err)
	}
	return s, nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
