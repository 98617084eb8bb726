package main

import (
	"fmt"
	"strings"
	"time"
)

// hog is a python3 program that takes mb MiB of memory at once, touches
// it, and sleeps.
const hog = "import sys, time\nb = bytearray(int(sys.argv[1]) << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(600)\n"

// tryMemoryMaxStartLimit (25.9): a daemon that outgrows --memory-max at
// once, every start: the start limit applies, as to a crash loop, and the
// daemon ends failed within 20 s with an error naming the memory limit,
// rather than being restarted every second for ever.
func tryMemoryMaxStartLimit(t *T) error {
	prog, err := t.file("hog.py", hog, 0o644)
	if err != nil {
		return err
	}
	name := t.name("")
	r := t.tend("start", name, "--memory-max", "20M", "--start-limit", "3", "--start-limit-interval", "30s", "--", "python3", prog, "100")
	began := time.Now()
	var s status
	if err := t.waitFor(20*time.Second, "the daemon failed by its start limit", func() bool {
		s, _, err = t.status(name)
		return err == nil && s.State == "failed"
	}); err != nil {
		t.tend("stop", name)
		return fmt.Errorf("%v (start: %v; last status: %+v)", err, r, s)
	}
	t.measure(time.Since(began))
	var p problems
	if !strings.Contains(s.Error, "memory-max") {
		p.add("failed without naming the memory limit: error %q", s.Error)
	}
	if s.Restarts > 5 {
		p.add("%d restarts before failing; the start limit is 3 in 30 s", s.Restarts)
	}
	return p.err()
}

// tryImpossibleLimit (25.9): --limit nofile above what the kernel allows
// (fs.nr_open is at most 1,073,741,816; 2^31 is above it on every
// machine) is refused at once with the reason: exit 2, no folder,
// nothing runs, no retries.
func tryImpossibleLimit(t *T) error {
	name := t.name("")
	began := time.Now()
	r := t.tend("start", name, "--limit", "nofile=2147483648", "--", "sleep", t.arg(0))
	took := time.Since(began)
	t.measure(took)
	var p problems
	if r.code != 2 || !strings.Contains(r.err, "nofile") {
		p.add("%v; expected exit 2 naming nofile", r)
	}
	if took > 5*time.Second {
		p.add("refused after %v; expected at once", took)
	}
	if exists(daemonFolder(t.e.home, name)) || len(sleeping(t.arg(0))) > 0 {
		p.add("left behind: folder %v, running %v", exists(daemonFolder(t.e.home, name)), sleeping(t.arg(0)))
		t.tend("stop", name)
	}
	return p.err()
}
