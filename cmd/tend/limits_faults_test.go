package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// TestMemoryMaxStartLimit (issue 25.9): a daemon over --memory-max from
// its first second on is restarted under the start limit, as a crash is,
// and ends failed saying why; it was restarted every second forever.
func TestMemoryMaxStartLimit(t *testing.T) {
	e := newEnv(t)
	e.mustStart("hog", "hog", "--memory-max", "32M", "--ready", "exec")
	var s statusOut
	// Five starts, a second or so apart, and the backoff between them.
	testexec.WaitFor(t, 60*time.Second, "the hog failed", func() bool {
		s, _ = e.status("hog")
		return s.State == "failed"
	})
	if !strings.Contains(s.Error, "start limit") || !strings.Contains(s.Error, "--memory-max 32M") || s.Restarts > 5 {
		t.Errorf("status: %+v; expected failed by the start limit, naming the memory limit", s)
	}
}

// TestImpossibleLimitRefused (issue 25.9): --limit nofile above fs.nr_open
// is refused at once, exit 2 with the reason, and nothing is created; it
// was tried 5 times, each exec failing.
func TestImpossibleLimitRefused(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Skip("no /proc/sys/fs/nr_open:", err)
	}
	max, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	e := newEnv(t)
	r := e.tend("start", "many", "--limit", "nofile="+strconv.FormatUint(max+1, 10), "--", "sleep", "1000")
	if r.code != 2 || !strings.Contains(r.stderr, "fs.nr_open") {
		t.Errorf("start: %v; expected exit 2 naming fs.nr_open", r)
	}
	if _, err := os.Stat(filepath.Join(e.home, "many")); err == nil {
		t.Errorf("the refused start left its folder")
	}
}
