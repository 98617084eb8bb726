package proc

import (
	"errors"
	"fmt"
)

// Descendants returns the pids of pid's children, their children, and so on,
// parents before their children. The tree is read from /proc without
// stopping it, so processes forked or reaped meanwhile may be missed or
// included; callers that act on the result should hold Identities, not
// pids. It returns an error wrapping ErrNotFound when pid does not exist.
func Descendants(pid int) ([]int, error) {
	kids, err := Children(pid)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{pid: true}
	var out []int
	for len(kids) > 0 {
		c := kids[0]
		kids = kids[1:]
		if seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
		grand, err := Children(c)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return out, fmt.Errorf("proc: descendants of %d: %w", pid, err)
		}
		kids = append(kids, grand...)
	}
	return out, nil
}
