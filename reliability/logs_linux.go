package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 13, items 3 and 9: the output log on a full disk, and under
// kill -9 while it rotates.

// diskFullWriter waits for $1, prints $4 numbered lines, creates $2,
// waits for $3, prints after-free, and sleeps.
const diskFullWriter = `#!/bin/sh
while [ ! -e "$1" ]; do sleep 0.02; done
i=0
while [ "$i" -lt "$4" ]; do
	echo "line $i abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	i=$((i+1))
done
: > "$2"
while [ ! -e "$3" ]; do sleep 0.02; done
echo after-free
exec sleep "$5"
`

// tryDiskFull (13.3): with TEND_HOME on a full 2 MiB tmpfs, a daemon
// prints more than the 4 MiB that the supervisor holds: status shows the
// error and the count of lost lines while it lasts; once space returns
// the log recovers within 5 s (no nudge), a line printed then is written
// at once, the log says what was lost, and the lines it has are in order,
// each once.
func tryDiskFull(t *T) error {
	const lines = 60000 // about 7.5 MB of log records: more than the 4 MiB held
	mnt, err := t.mountTmpfs(2 << 20)
	if err != nil {
		return err
	}
	home := filepath.Join(mnt, "home")
	t.e.useHome(home)
	o := opts{home: home}
	writer, err := t.file("writer.sh", diskFullWriter, 0o755)
	if err != nil {
		return err
	}
	goFile, doneFile, go2File := writer+".go", writer+".done", writer+".go2"
	name := t.name("")
	if r := t.tendO(o, "start", name, "--log-max-size", "262144", "--log-max-files", "2", "--",
		"sh", writer, goFile, doneFile, go2File, strconv.Itoa(lines), t.arg(0)); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	filler := filepath.Join(mnt, "filler")
	if err := fill(filler); err != nil {
		return err
	}
	os.WriteFile(goFile, nil, 0o644)
	var p problems
	var st status
	statusNow := func() bool {
		var err error
		st, _, err = t.statusO(o, name)
		return err == nil
	}
	if err := t.waitFor(10*time.Second, "status to show the log error", func() bool {
		return statusNow() && strings.Contains(st.LogError, "no space left")
	}); err != nil {
		p.add("the disk is full and the daemon writes: %v; status said log_error %q, lost_lines %d", err, st.LogError, st.LostLines)
	}
	if err := t.waitFor(30*time.Second, "the daemon to print its lines", func() bool { return exists(doneFile) }); err != nil {
		return errors.Join(p.err(), err)
	}
	if err := t.waitFor(10*time.Second, "status to count lost lines", func() bool {
		return statusNow() && st.LostLines > 0 && st.LogError != ""
	}); err != nil {
		p.add("%d lines printed (more than 4 MiB) to a full disk: %v; status said log_error %q, lost_lines %d", lines, err, st.LogError, st.LostLines)
	}
	if st.State != "running" || !alive(st.PID) {
		p.add("the daemon did not survive the full disk: state %s, pid %d", st.State, st.PID)
	}
	lost := st.LostLines
	if err := os.Remove(filler); err != nil {
		return err
	}
	freed := time.Now()
	log := filepath.Join(daemonFolder(home, name), "output.log")
	t.Step("waiting for the log to recover")
	err = t.waitFor(30*time.Second, "the log to recover", func() bool { return statusNow() && st.LogError == "" })
	took := time.Since(freed)
	t.measure(took)
	switch {
	case err != nil:
		tail := t.tendO(o, "logs", "-n", "3", name)
		p.add("space freed: %v; status said log_error %q, lost_lines %d; the log ends: %s; files: %s",
			err, st.LogError, st.LostLines, clip(tail.out, 400), strings.Join(names(filepath.Dir(log)), " "))
	case took > 5*time.Second:
		p.add("the log recovered %s after space returned; expected within 5s", took.Round(10*time.Millisecond))
	}
	// Once recovered, a new line goes straight to the log.
	os.WriteFile(go2File, nil, 0o644)
	if err := t.waitFor(5*time.Second, "a line printed after the recovery in output.log", func() bool {
		return strings.Contains(readText(log), "after-free")
	}); err != nil {
		st, _, _ := t.statusO(o, name)
		p.add("%v; status says log_error %q, lost_lines %d (%d before)", err, st.LogError, st.LostLines, lost)
	}
	r := t.tendO(o, "logs", "-n", "all", name)
	if r.code != 0 {
		p.add("logs: %v", r)
	} else {
		if msg := checkNumbered(r.out, "line ", true); msg != "" {
			p.add("after recovery: %s", msg)
		}
		if !strings.Contains(r.out, "lost") {
			p.add("no line of the log says that lines were lost (status counted %d); last lines: %s", lost, clip(r.out, 400))
		}
	}
	t.count("lines lost and counted", int(lost))
	if r := t.tendO(o, "stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	return p.err()
}

// fill writes path until the file system is full.
func fill(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return fmt.Errorf("filling the tmpfs: %w", err)
		}
	}
}

// checkNumbered checks log records "TIMESTAMP stdout PREFIX N ..." in
// order: every N one more than the one before, except across a line that
// says lines were lost (when gaps is true). Other lines are ignored. It
// returns "" or what is wrong.
func checkNumbered(log, prefix string, gaps bool) string {
	prev, seen := -1, 0
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if gaps && strings.Contains(line, "lost") {
			prev = -1
			continue
		}
		_, rest, ok := strings.Cut(line, " stdout "+prefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		seen++
		if prev >= 0 && n != prev+1 {
			return fmt.Sprintf("the log holds line %d right after line %d (%d numbered lines seen): lines lost or repeated without a word", n, prev, seen)
		}
		prev = n
	}
	if seen == 0 {
		return "no numbered line in the log"
	}
	return ""
}

// rotatingWriter prints numbered lines as fast as it can.
const rotatingWriter = `#!/bin/sh
i=0
while :; do
	echo "n $i abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij"
	i=$((i+1))
done
`

// tryRotateKill9 (13.9, and 20.4 since the host): kill -9 of the host at
// a random moment of a life spent rotating its log (4 KiB files, 3 kept):
// the writer runs on (the keeper kept its pipe), a new host takes it over
// within 2 s and goes on rotating; output.log is there, at most 3 rotated
// files, the lines in order, and status is never stale.
func tryRotateKill9(t *T) error {
	writer, err := t.file("writer.sh", rotatingWriter, 0o755)
	if err != nil {
		return err
	}
	name := t.name("")
	dir := daemonFolder(t.e.home, name)
	start := []string{"start", name, "--log-max-size", "4096", "--log-max-files", "3", "--", "sh", writer}
	if r := t.tend(start...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	st, _, err := t.status(name)
	if err != nil {
		return err
	}
	if err := t.waitFor(5*time.Second, "a first rotation", func() bool { return len(rotated(dir)) > 0 }); err != nil {
		return err
	}
	t.sleep(time.Duration(t.rng.IntN(150)) * time.Millisecond)
	if err := t.killSupervisor(st.Sup); err != nil {
		return err
	}
	var p problems
	files := func() string { return strings.Join(names(dir), " ") }
	began := time.Now()
	if err := t.waitFor(2*time.Second, "a new host to take the writer over", func() bool {
		s, r, err := t.status(name)
		return err == nil && r.code == 0 && s.State == "running" && s.PID == st.PID && s.Sup != st.Sup
	}); err != nil {
		s, r, _ := t.status(name)
		p.add("%v; status: %v (%+v)", err, r, s)
	} else {
		t.measure(time.Since(began))
	}
	if !alive(st.PID) {
		p.add("the writer (pid %d) died with the host", st.PID)
	}
	before := rotated(dir)
	if err := t.waitFor(5*time.Second, "two rotations by the new host", func() bool {
		n := 0
		for _, f := range rotated(dir) {
			if !slices.Contains(before, f) {
				n++
			}
		}
		return n >= 2
	}); err != nil {
		p.add("%v", err)
	}
	if !exists(filepath.Join(dir, "output.log")) {
		p.add("no output.log after kill -9 of the host; files: %s", files())
	}
	// What a user reads: every line once, in order.
	if r := t.tend("logs", "-n", "all", name); r.code != 0 {
		p.add("logs after kill -9 during rotation: %v", r)
	} else if msg := checkNumbered(r.out, "n ", false); msg != "" {
		p.add("logs after kill -9 during rotation: %s; files: %s", msg, files())
	}
	if s, r, err := t.status(name); err != nil || s.Stale {
		p.add("status after kill -9 during rotation: %v %v; expected not stale", r, err)
	}
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	if n := len(rotated(dir)); n > 3 || !exists(filepath.Join(dir, "output.log")) {
		p.add("after the new supervisor rotated and stopped: %d rotated files (limit 3); files: %s", n, files())
	}
	for _, f := range names(dir) {
		if strings.HasSuffix(f, ".tmp") {
			p.add("temporary file %s left after the new supervisor stopped", f)
		}
	}
	return p.err()
}

// names lists a folder.
func names(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// rotated lists the rotated logs (output.log.*, not temporary files) in
// order, oldest first (their names are timestamps).
func rotated(dir string) []string {
	var out []string
	for _, n := range names(dir) {
		if strings.HasPrefix(n, "output.log.") && !strings.HasSuffix(n, ".tmp") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
