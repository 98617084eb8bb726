package logcap

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Rotated files are named PATH.YYYYMMDDTHHMMSS.ffffffZ (UTC), optionally
// followed by ".gz". The names sort in rotation order.
const (
	stampLayout = "20060102T150405.000000Z"
	gzSuffix    = ".gz"
	tmpSuffix   = ".tmp"
)

// rotEntry is one rotated file: stem is the full path without ".gz".
type rotEntry struct {
	stem  string
	t     time.Time
	plain bool // stem exists
	gz    bool // stem+".gz" exists
}

// name is the file to read: the plain file when present (it is complete; a
// .gz beside it may still be in the making... or be complete, either is fine).
func (e rotEntry) name() string {
	if e.plain {
		return e.stem
	}
	return e.stem + gzSuffix
}

func rotatedName(path string, t time.Time) string {
	return path + "." + t.UTC().Format(stampLayout)
}

// listRotated returns path's rotated files, oldest first.
func listRotated(path string) ([]rotEntry, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byStem := map[string]*rotEntry{}
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, base+".") {
			continue
		}
		rest := name[len(base)+1:]
		gz := strings.HasSuffix(rest, gzSuffix)
		rest = strings.TrimSuffix(rest, gzSuffix)
		t, err := time.Parse(stampLayout, rest)
		if err != nil || len(rest) != len(stampLayout) {
			continue
		}
		stem := filepath.Join(dir, base+"."+rest)
		e := byStem[stem]
		if e == nil {
			e = &rotEntry{stem: stem, t: t}
			byStem[stem] = e
		}
		if gz {
			e.gz = true
		} else {
			e.plain = true
		}
	}
	out := make([]rotEntry, 0, len(byStem))
	for _, e := range byStem {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].stem < out[j].stem })
	return out, nil
}
