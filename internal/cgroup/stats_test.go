package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCounters reads flat-keyed and single-value files as the kernel
// writes them, and a missing one (a controller not enabled) as not there.
func TestCounters(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cpu.stat"), []byte("usage_usec 1500\nuser_usec 1000\nnr_throttled 3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "memory.current"), []byte("8192\n"), 0o644)
	g := &Group{path: dir}
	st, err := g.Counters("cpu.stat")
	if err != nil || st["usage_usec"] != 1500 || st["nr_throttled"] != 3 {
		t.Errorf("Counters(cpu.stat) = %v, %v", st, err)
	}
	if n, err := g.Value("memory.current"); err != nil || n != 8192 {
		t.Errorf("Value(memory.current) = %d, %v", n, err)
	}
	if _, err := g.Counters("pids.events"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Counters of a missing file: %v, want fs.ErrNotExist", err)
	}
}
