//go:build unix

package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RemoveTemps removes from the daemon's folder the temporary files that
// [WriteJSON] leaves behind when its process is killed between creating
// and renaming one (".status.json.tmp-XXXXXXXXXXXX"). Only regular files
// with that form of name are removed; links are not followed. Call it
// while holding the daemon's lock, so no writer is under way.
func (d Dir) RemoveTemps() error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("state: clean %s: %w", d.Path, err)
	}
	for _, e := range entries {
		if !isTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(d.Path, e.Name())); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("state: clean %s: %w", d.Path, err)
		}
	}
	return nil
}

// isTemp reports whether name has the form createTemp gives.
func isTemp(name string) bool {
	i := strings.LastIndex(name, ".tmp-")
	if len(name) < 2 || name[0] != '.' || i < 2 || len(name)-i-len(".tmp-") != 12 {
		return false
	}
	for _, c := range name[i+len(".tmp-"):] {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}
