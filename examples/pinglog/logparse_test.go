package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// readLines returns the complete lines of the file at path (a last line
// without its newline is left out: it is still being written).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// probe is a parsed probe line.
type probe map[string]string

// probes returns the probe lines among lines, parsed.
func probes(t *testing.T, lines []string) []probe {
	t.Helper()
	var ps []probe
	for _, l := range lines {
		if !strings.HasPrefix(l, "start=") {
			continue
		}
		ps = append(ps, parseProbe(t, l))
	}
	return ps
}

// parseProbe parses one probe line: space-separated key=value fields, a
// value either a bare word or a Go quoted string (error="write ip4
// 0.0.0.0->127.0.0.1: i/o timeout"), as probeLine.String writes them.
func parseProbe(t *testing.T, l string) probe {
	t.Helper()
	p := probe{}
	for rest := l; rest != ""; {
		k, v, ok := strings.Cut(rest, "=")
		if !ok || k == "" || strings.ContainsRune(k, ' ') {
			t.Fatalf("field %q without =, in %q", rest, l)
		}
		if strings.HasPrefix(v, `"`) {
			q, err := strconv.QuotedPrefix(v)
			if err != nil {
				t.Fatalf("%s: bad quoted value in %q: %v", k, l, err)
			}
			p[k], _ = strconv.Unquote(q)
			rest = v[len(q):]
			if rest != "" && rest[0] != ' ' {
				t.Fatalf("%s: text after the quoted value in %q", k, l)
			}
			rest = strings.TrimPrefix(rest, " ")
		} else {
			p[k], rest, _ = strings.Cut(v, " ")
		}
	}
	return p
}

// checkSeqs checks that the probes are numbered 1, 2, 3, ... and returns
// their number.
func checkSeqs(t *testing.T, ps []probe) int {
	t.Helper()
	for i, p := range ps {
		if got, want := p["seq"], strconv.Itoa(i+1); got != want {
			t.Fatalf("probe %d has seq=%s; want %s (lost or duplicated probe)", i+1, got, want)
		}
	}
	return len(ps)
}

// countProbes returns the number of probe lines in the file at path.
func countProbes(t *testing.T, path string) int {
	t.Helper()
	return len(probes(t, readLines(t, path)))
}
