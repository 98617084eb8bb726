package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
)

// formation is foreman's -m: how many instances of each daemon run,
// over what the file says ("web=3,worker=2"; "all=2" for every daemon
// not named).
type formation map[string]int

// parseFormation reads NAME=N,... for the daemons of f.
func parseFormation(s string, f *config.File) (formation, error) {
	if s == "" {
		return nil, nil
	}
	out := formation{}
	for _, item := range strings.Split(s, ",") {
		name, count, ok := strings.Cut(strings.TrimSpace(item), "=")
		n, err := strconv.Atoi(count)
		switch {
		case !ok || err != nil:
			return nil, fmt.Errorf("-m %s: %q: want NAME=N, such as web=3 (all=N for every daemon)", s, item)
		case n < 1 || n > definition.MaxInstances:
			return nil, fmt.Errorf("-m %s: %s: want 1 to %d instances (to leave a daemon out, name the others: tend up NAME...)",
				s, item, definition.MaxInstances)
		case name != "all" && f.Daemon(name) == nil:
			return nil, fmt.Errorf("-m %s: %s has no daemon %q", s, f.Name, name)
		}
		out[name] = n
	}
	return out, nil
}

// count is how many instances of the daemon the formation asks for, if
// it says.
func (m formation) count(name string) (int, bool) {
	if n, ok := m[name]; ok {
		return n, true
	}
	n, ok := m["all"]
	return n, ok
}
