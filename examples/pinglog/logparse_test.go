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
		p := probe{}
		for _, f := range strings.Fields(l) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				t.Fatalf("field %q without =, in %q", f, l)
			}
			p[k] = v
		}
		ps = append(ps, p)
	}
	return ps
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
