package logcap

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
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

// family is who named a rotated file.
type family int

const (
	ownFamily   family = iota // logcap: PATH.YYYYMMDDTHHMMSS.ffffffZ
	numFamily                 // logrotate: PATH.N, N = 1 the newest
	dateFamily                // logrotate with dateext: PATH-YYYYMMDD and the like
	numFamilies               // how many families there are
)

// rotEntry is one rotated file: stem is the full path without ".gz".
type rotEntry struct {
	stem  string
	t     time.Time // logcap's files: the rotation time, from the name; others: the modification time
	plain bool      // stem exists
	gz    bool      // stem+".gz" exists
	fam   family
	seq   int64  // numFamily: N
	rest  string // the name after PATH and its separator, without ".gz"
}

// own reports whether logcap named (and so manages) the file.
func (e rotEntry) own() bool { return e.fam == ownFamily }

func rotatedName(path string, t time.Time) string {
	return path + "." + t.UTC().Format(stampLayout)
}

// listRotated returns path's rotated files that logcap named, oldest
// first: the ones it prunes and compresses.
func listRotated(path string) ([]rotEntry, error) {
	fams, err := scanRotated(path, false)
	if err != nil {
		return nil, err
	}
	return fams[ownFamily], nil
}

// listHistory returns every rotated file of path that a reader should
// read before path itself, oldest first: logcap's own, and logrotate's,
// numbered (PATH.1 the newest, PATH.2, ...) or dated (dateext:
// PATH-YYYYMMDD, or any dateformat that starts with the date and is made
// of digits, '-' and '_'), each plain or gzipped. Nothing else is listed,
// and only regular files are.
//
// Each family is in its own order (logrotate's numbers count back from
// the newest; dates sort as the names do, which logrotate requires of a
// dateformat), and the families are merged by time: logcap's rotation
// time, or the modification time of logrotate's files (the time of their
// last line; gzip keeps it), so that a log rotated both by tend and by
// logrotate reads in the order it was written.
func listHistory(path string) ([]rotEntry, error) {
	fams, err := scanRotated(path, true)
	if err != nil {
		return nil, err
	}
	return mergeFamilies(fams), nil
}

// scanRotated lists path's directory and sorts the rotated files of path
// by family, each family oldest first. Without logrotate, only logcap's
// own files are looked at.
func scanRotated(path string, logrotate bool) ([numFamilies][]rotEntry, error) {
	var fams [numFamilies][]rotEntry
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return fams, err
	}
	byStem := map[string]*rotEntry{}
	for _, de := range des {
		name := de.Name()
		if len(name) <= len(base)+1 || !strings.HasPrefix(name, base) || !de.Type().IsRegular() {
			continue
		}
		sep, rest := name[len(base)], name[len(base)+1:]
		gz := strings.HasSuffix(rest, gzSuffix)
		rest = strings.TrimSuffix(rest, gzSuffix)
		e := rotEntry{rest: rest}
		switch {
		case sep == '.' && len(rest) == len(stampLayout) && parseRotationStamp(rest, &e.t):
			e.fam = ownFamily
		case !logrotate:
			continue
		case sep == '.' && parseSeq(rest, &e.seq):
			e.fam = numFamily
		case (sep == '-' || sep == '.' || sep == '_') && isDateSuffix(rest):
			e.fam = dateFamily
		default:
			continue
		}
		if e.fam != ownFamily {
			info, err := de.Info()
			if err != nil {
				continue // gone since the listing
			}
			e.t = info.ModTime()
		}
		e.stem = filepath.Join(dir, name[:len(base)+1]+rest)
		have := byStem[e.stem]
		if have == nil {
			have = &e
			byStem[e.stem] = have
		} else if !gz && e.fam != ownFamily {
			have.t = e.t // the plain file's time, when both exist
		}
		if gz {
			have.gz = true
		} else {
			have.plain = true
		}
	}
	for _, e := range byStem {
		fams[e.fam] = append(fams[e.fam], *e)
	}
	sort.Slice(fams[ownFamily], func(i, j int) bool { return fams[ownFamily][i].stem < fams[ownFamily][j].stem })
	sort.Slice(fams[numFamily], func(i, j int) bool { return fams[numFamily][i].seq > fams[numFamily][j].seq })
	sort.Slice(fams[dateFamily], func(i, j int) bool { return fams[dateFamily][i].rest < fams[dateFamily][j].rest })
	return fams, nil
}

// mergeFamilies merges the families, each already oldest first, into one
// list ordered by time, keeping each family's own order: at each step the
// oldest of the families' next files comes first.
func mergeFamilies(fams [numFamilies][]rotEntry) []rotEntry {
	var out []rotEntry
	var next [numFamilies]int
	for {
		best := -1
		for f := range fams {
			if next[f] == len(fams[f]) {
				continue
			}
			if best < 0 || fams[f][next[f]].t.Before(fams[best][next[best]].t) {
				best = f
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, fams[best][next[best]])
		next[best]++
	}
}

// parseRotationStamp reads the stamp in the name of a file logcap rotated.
func parseRotationStamp(s string, t *time.Time) bool {
	v, err := time.Parse(stampLayout, s)
	if err != nil {
		return false
	}
	*t = v
	return true
}

// parseSeq reads logrotate's rotation number: decimal, without leading
// zeros, at most 6 digits (more would be a date: PATH.20261201).
func parseSeq(s string, n *int64) bool {
	if s == "" || len(s) > 6 || (s[0] == '0' && s != "0") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	*n = v
	return err == nil
}

// isDateSuffix reports whether s is what logrotate's dateext appends: a
// date, YYYYMMDD or YYYY-MM-DD, then possibly more digits, '-' and '_'
// (%H, %M, %S, %s, %V of a dateformat).
func isDateSuffix(s string) bool {
	var date, more string
	switch {
	case len(s) >= 8 && isDigits(s[:8]):
		date, more = s[:8], s[8:]
		if _, err := time.Parse("20060102", date); err != nil {
			return false
		}
	case len(s) >= 10 && s[4] == '-' && s[7] == '-':
		date, more = s[:10], s[10:]
		if _, err := time.Parse("2006-01-02", date); err != nil {
			return false
		}
	default:
		return false
	}
	for i := 0; i < len(more); i++ {
		if c := more[i]; !(c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
