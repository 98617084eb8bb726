package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Counters reads one of the group's flat-keyed files, "KEY VALUE" a line:
// cpu.stat (usage_usec, nr_throttled), memory.events (max, oom_kill),
// pids.events (max). A file of a controller that the group's parent does
// not enable does not exist (fs.ErrNotExist); cpu.stat's usage fields are
// there without the cpu controller.
func (g *Group) Counters(file string) (map[string]int64, error) {
	b, err := os.ReadFile(filepath.Join(g.path, file))
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte{' '})
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err == nil {
			out[string(k)] = n
		}
	}
	return out, nil
}

// Value reads one of the group's single-number files, such as
// memory.current (bytes in use by the group and its descendants).
func (g *Group) Value(file string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(g.path, file))
	if err != nil {
		return 0, fmt.Errorf("cgroup: %w", err)
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cgroup: %s/%s: %w", g.path, file, err)
	}
	return n, nil
}
