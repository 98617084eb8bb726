package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Issue 20, point 4: the host killed (kill -9) at a random moment of an
// operation loses nothing: every daemon runs on (or stays stopped) as the
// operation asked, none is doubled, and no line it wrote is lost.

// hostLossOps are the operations the host is killed during, one per try
// in turn.
var hostLossOps = []string{"start", "stop", "restart", "reload", "scale", "up"}

// tickerScript writes "n PID I" every 5 ms, I from 1: each writer's lines
// must all be in the log, in order.
const tickerScript = `i=0
while :; do i=$((i+1)); echo "n $$ $i"; sleep 0.005; done
`

// tryHostLoss (20.4): the host is killed 0-60 ms into an operation on a
// daemon that writes numbered lines; the operation's command may fail,
// but once a new host answers (within 2 s), the daemon is as the
// operation asked (after the command is given once more, if it failed),
// with as many copies as it should have, and its log holds every line of
// every writer, in order.
func tryHostLoss(t *T) error {
	op := hostLossOps[t.I%len(hostLossOps)]
	t.count("kills during a "+op, 1)
	writer, err := t.file("ticker.sh", tickerScript, 0o755)
	if err != nil {
		return err
	}
	// Another daemon, so that a host runs before the operation.
	if _, err := t.startSleep(t.name("-other"), 1); err != nil {
		return err
	}
	name := t.name("")
	start := []string{"start", name, "--", "sh", writer}
	var dir string
	var up []string
	if op == "up" {
		if dir, err = t.folder("project"); err != nil {
			return err
		}
		name = filepath.Base(dir) + ".w"
		up = []string{"up", "-f", filepath.Join(dir, "tend.toml")}
		if err := writeToml(dir, writer, 1); err != nil {
			return err
		}
		if r := t.tend(up...); r.code != 0 {
			return fmt.Errorf("up: %v", r)
		}
	} else if op != "start" {
		if r := t.tend(start...); r.code != 0 {
			return fmt.Errorf("start: %v", r)
		}
	}
	want := 1 // copies of the writer once the operation is done
	var args []string
	switch op {
	case "start":
		args = start
	case "stop":
		args, want = []string{"stop", name}, 0
	case "restart":
		args = []string{"restart", name}
	case "reload":
		args = []string{"reload", name}
	case "scale":
		args, want = []string{"scale", name, "2"}, 2
	case "up":
		if err := writeToml(dir, writer, 2); err != nil { // a change: the host replaces it
			return err
		}
		args = up
	}
	host, err := t.hostPID()
	if err != nil {
		return err
	}
	done := make(chan res, 1)
	go func() { done <- t.tend(args...) }()
	t.sleep(time.Duration(t.rng.IntN(60_000)) * time.Microsecond)
	if err := t.killSupervisor(host); err != nil {
		<-done
		return err
	}
	r := <-done
	began := time.Now()
	var p problems
	if err := t.waitFor(2*time.Second, "a new host to answer", func() bool {
		_, sr, err := t.status(name)
		return err == nil && sr.code != 4 && sr.fail == nil
	}); err != nil {
		p.add("%v", err)
		return p.err()
	}
	t.measure(time.Since(began))
	if r.code != 0 {
		t.count("commands that failed and were given again", 1)
		if r2 := t.tend(args...); r2.code != 0 && op != "up" {
			p.add("%s after the host died: %v; given again: %v", op, r, r2)
		}
	}
	// Let the writers be seen as they are now.
	var copies []int
	t.waitFor(3*time.Second, fmt.Sprintf("%d copies of the writer", want), func() bool {
		copies = withCmdline(writer)
		return len(copies) == want
	})
	switch {
	case len(copies) > want:
		t.count("duplicates", len(copies)-want)
		p.add("after a %s whose host was killed: %d copies of the writer run (%v), want %d", op, len(copies), copies, want)
	case len(copies) < want:
		t.count("lost daemons", want-len(copies))
		p.add("after a %s whose host was killed: %d copies of the writer run (%v), want %d", op, len(copies), copies, want)
	}
	if r := t.tend("stop", name); r.code != 0 && op != "stop" {
		p.add("stop at the end: %v", r)
	}
	logs := t.tend("logs", "-n", "all", name)
	if lost, msg := gapsIn(logs.out); lost > 0 {
		t.count("lost lines", lost)
		p.add("after a %s whose host was killed: %s", op, msg)
	}
	return p.err()
}

// writeToml writes a tend.toml of one daemon w running the writer, with
// ROUND=round in its environment (a change of it is a change of the
// daemon).
func writeToml(dir, writer string, round int) error {
	text := fmt.Sprintf("[w]\ncommand = [\"sh\", %q]\nenv = { ROUND = \"%d\" }\n", writer, round)
	return os.WriteFile(filepath.Join(dir, "tend.toml"), []byte(text), 0o644)
}

// hostPID is the pid of the host of the experiment's home.
func (t *T) hostPID() (int, error) {
	keeper, err := strconv.Atoi(strings.TrimSpace(readText(filepath.Join(t.e.home, "host.pid"))))
	if err != nil {
		return 0, fmt.Errorf("no host runs: %w", err)
	}
	for _, c := range children(keeper) {
		if strings.Contains(cmdlineOf(c), "__host") {
			return c, nil
		}
	}
	return 0, fmt.Errorf("the keeper %d has no host", keeper)
}

// gapsIn counts, writer by writer (by the pid in "n PID I"), the lines
// missing from the numbered sequence of a log, and describes the first.
func gapsIn(log string) (lost int, msg string) {
	last := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		_, rest, ok := strings.Cut(sc.Text(), " stdout n ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		prev, seen := last[f[0]]
		if !seen {
			prev = 0
		}
		if n != prev+1 {
			if n > prev {
				lost += n - prev - 1
			}
			if msg == "" {
				msg = fmt.Sprintf("writer %s's line %d came right after its line %d", f[0], n, prev)
			}
		}
		last[f[0]] = n
	}
	return lost, msg
}
