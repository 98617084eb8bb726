//go:build unix

package state

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRemoveTemps(t *testing.T) {
	d := Dir{Name: "d", Path: t.TempDir()}
	keep := []string{"status.json", ".status.json.tmp-short", "x.tmp-ABCDEFGHIJKL", ".link.tmp-ABCDEFGHIJKL"}
	for _, n := range keep[:3] {
		mustDo(t, os.WriteFile(filepath.Join(d.Path, n), nil, 0o600))
	}
	victim := filepath.Join(t.TempDir(), "victim")
	mustDo(t, os.WriteFile(victim, []byte("x"), 0o600))
	mustDo(t, os.Symlink(victim, filepath.Join(d.Path, keep[3])))
	// What a writer killed mid-write leaves, made the way WriteJSON makes it.
	f, _, err := createTemp(d.Path, "status.json", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := d.RemoveTemps(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(d.Path)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(keep)
	if !slices.Equal(names, keep) {
		t.Errorf("left %v; want %v", names, keep)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the link's target: %v", err)
	}
}
