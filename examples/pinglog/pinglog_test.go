//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/testexec"
)

// TestNoLeaks runs a detached pinglog for 200 probes and checks that its
// descriptors, threads and goroutines do not grow, and that every probe
// wrote exactly one line.
func TestNoLeaks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "pinglog.log")
	pid := startDaemon(t, dir, "-interval", "20ms", "-count", "100000", "-debug-goroutines")

	testexec.WaitFor(t, 10*time.Second, "20 probes", func() bool { return countProbes(t, log) >= 20 })
	fds20, threads20 := fdCount(t, pid), threadCount(t, pid)
	testexec.WaitFor(t, 15*time.Second, "200 probes", func() bool { return countProbes(t, log) >= 200 })
	fds200, threads200 := fdCount(t, pid), threadCount(t, pid)
	if fds200 != fds20 {
		t.Errorf("open descriptors: %d after 20 probes, %d after 200", fds20, fds200)
	}
	// The Go runtime starts OS threads lazily (one more when a write blocks
	// while the others are busy), so one or two may appear late; a thread
	// per probe, as the article's version leaks, would be 180.
	if threads200 > threads20+2 {
		t.Errorf("threads: %d after 20 probes, %d after 200", threads20, threads200)
	}

	unix.Kill(pid, unix.SIGTERM)
	if ws := waitExit(t, pid); ws.ExitStatus() != 0 {
		t.Errorf("daemon ended with %v; want exit 0", ws)
	}
	ps := probes(t, readLines(t, log))
	n := checkSeqs(t, ps)
	timeouts := 0
	for _, p := range ps {
		switch p["result"] {
		case "ok", "refused-but-up":
		case "timeout":
			// A loaded machine can run a 20 ms probe past its deadline:
			// an answer, not a leak. An error is a fault, though.
			timeouts++
		default:
			t.Errorf("probe %s: result=%s error=%q", p["seq"], p["result"], p["error"])
		}
		if g := p["goroutines"]; g != ps[0]["goroutines"] {
			// A probe that timed out was ended by its deadline's callback,
			// a goroutine that may still be returning when the line counts.
			first, _ := strconv.Atoi(ps[0]["goroutines"])
			if n, _ := strconv.Atoi(g); p["result"] != "timeout" || n != first+1 {
				t.Fatalf("goroutines=%s at probe 1, %s at probe %s (result=%s)", ps[0]["goroutines"], g, p["seq"], p["result"])
			}
		}
	}
	t.Logf("%d probes (%d timed out); fds %d, threads %d, goroutines %s", n, timeouts, fds200, threads200, ps[0]["goroutines"])
}

// TestHangupReopensLog renames the log as logrotate does, sends SIGHUP, and
// checks that the lines continue in a new file with no probe lost.
func TestHangupReopensLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log, rotated := filepath.Join(dir, "pinglog.log"), filepath.Join(dir, "pinglog.log.1")
	pid := startDaemon(t, dir, "-interval", "20ms")

	testexec.WaitFor(t, 10*time.Second, "10 probes", func() bool { return countProbes(t, log) >= 10 })
	if err := os.Rename(log, rotated); err != nil {
		t.Fatal(err)
	}
	unix.Kill(pid, unix.SIGHUP)
	testexec.WaitFor(t, 10*time.Second, "10 probes in the new log", func() bool {
		_, err := os.Stat(log)
		return err == nil && countProbes(t, log) >= 10
	})
	// No descriptor may still hold the rotated file: not ours, and not
	// stdout and stderr either.
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, e := range fds {
		if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); target == rotated {
			t.Errorf("fd %s still refers to the rotated log %s", e.Name(), target)
		}
	}
	unix.Kill(pid, unix.SIGTERM)
	waitExit(t, pid)

	old, cur := readLines(t, rotated), readLines(t, log)
	if last := old[len(old)-1]; !strings.Contains(last, "pinglog SIGHUP: reopening log "+log) {
		t.Errorf("rotated log ends with %q; want the reopening line", last)
	}
	if !strings.Contains(cur[0], "pinglog reopened log "+log+" on SIGHUP") {
		t.Errorf("new log starts with %q; want the reopened line", cur[0])
	}
	checkSeqs(t, append(probes(t, old), probes(t, cur)...))
}

// TestTermStopsCleanly checks the last line, the exit status and the
// pidfile's removal on SIGTERM.
func TestTermStopsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "pinglog.log")
	pid := startDaemon(t, dir, "-interval", "20ms")
	testexec.WaitFor(t, 10*time.Second, "3 probes", func() bool { return countProbes(t, log) >= 3 })

	unix.Kill(pid, unix.SIGTERM)
	if ws := waitExit(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("daemon ended with %v; want exit 0", ws)
	}
	lines := readLines(t, log)
	n := checkSeqs(t, probes(t, lines))
	want := regexp.MustCompile(`^\S+Z pinglog stopping: ` + strconv.Itoa(n) + ` probes, signal TERM$`)
	if last := lines[len(lines)-1]; !want.MatchString(last) {
		t.Errorf("last line %q; want it to match %s", last, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pinglog.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind (stat: %v)", err)
	}
}

// TestStartupErrors checks that the launcher reports what keeps the daemon
// from starting, exits non-zero, and leaves nothing behind.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   func(dir string) []string
		code   int
		stderr func(dir string) string
	}{{
		name:   "log directory missing",
		args:   func(dir string) []string { return []string{"-log", dir + "/missing/p.log", "-pidfile", dir + "/p.pid"} },
		code:   1,
		stderr: func(dir string) string { return dir + "/missing/p.log: no such file or directory" },
	}, {
		name:   "log is a directory",
		args:   func(dir string) []string { return []string{"-log", dir, "-pidfile", dir + "/p.pid"} },
		code:   1,
		stderr: func(dir string) string { return dir + ": is a directory" },
	}, {
		name:   "unknown host",
		args:   func(dir string) []string { return []string{"-log", dir + "/p.log", "-target", "no.such.host.invalid"} },
		code:   1,
		stderr: func(string) string { return "pinglog: resolve target no.such.host.invalid: no such host" },
	}, {
		name:   "multicast target",
		args:   func(dir string) []string { return []string{"-log", dir + "/p.log", "-target", "224.0.0.1"} },
		code:   2,
		stderr: func(string) string { return "pinglog: -target 224.0.0.1: a multicast address is not one host" },
	}, {
		name: "timeout longer than interval",
		args: func(dir string) []string {
			return []string{"-log", dir + "/p.log", "-interval", "1s", "-timeout", "2s"}
		},
		code:   2,
		stderr: func(string) string { return "-timeout 2s: must be positive and at most -interval (1s)" },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			res := runPinglog(t, dir, tc.args(dir)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr(dir)) {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr containing %q", res.code, res.stderr, tc.code, tc.stderr(dir))
			}
			for _, pf := range []string{"p.pid", "pinglog.pid"} {
				if _, err := os.Stat(filepath.Join(dir, pf)); !os.IsNotExist(err) {
					t.Errorf("pidfile %s left behind (stat: %v)", pf, err)
				}
			}
			testexec.WaitFor(t, 5*time.Second, "no process left", func() bool { return len(processesIn(dir)) == 0 })
		})
	}
}

// TestSecondInstanceRefused checks that a second pinglog on the same pidfile
// is refused with the running pid, and that the first goes on.
func TestSecondInstanceRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "pinglog.log")
	pid := startDaemon(t, dir, "-interval", "20ms")

	res := runPinglog(t, dir, "-log", "pinglog.log", "-interval", "20ms")
	want := fmt.Sprintf("already running as pid %d (pidfile %s is locked)", pid, filepath.Join(dir, "pinglog.pid"))
	if res.code == 0 || !strings.Contains(res.stderr, want) {
		t.Errorf("second instance: exit %d, stderr %q; want non-zero and %q", res.code, res.stderr, want)
	}
	n := countProbes(t, log)
	testexec.WaitFor(t, 10*time.Second, "the first instance to go on", func() bool { return countProbes(t, log) > n+2 })
	unix.Kill(pid, unix.SIGTERM)
	waitExit(t, pid)
	lines := readLines(t, log)
	checkSeqs(t, probes(t, lines))
	if started := strings.Count(strings.Join(lines, "\n"), "pinglog started"); started != 1 {
		t.Errorf("%d start lines in the log; want 1", started)
	}
}

// TestForegroundWritesStdout checks that -foreground without -log writes
// its lines to stdout and creates no file.
func TestForegroundWritesStdout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := runPinglog(t, dir, "-foreground", "-count", "3", "-interval", "20ms")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	// Start, 3 probes, stop; on a loaded machine perhaps "skipped" lines.
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if n := checkSeqs(t, probes(t, lines)); n != 3 {
		t.Errorf("%d probes; want 3:\n%s", n, res.stdout)
	}
	if !strings.Contains(lines[0], "pinglog started: target 127.0.0.1, method ") {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "pinglog stopping: 3 probes, count reached") {
		t.Errorf("last line %q", last)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files created in the foreground: %v", ents)
	}
}

// TestMethods checks each probe method's results against loopback.
func TestMethods(t *testing.T) {
	t.Parallel()
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { open.Close() })
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := strconv.Itoa(closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	openPort := strconv.Itoa(open.Addr().(*net.TCPAddr).Port)

	for _, tc := range []struct {
		name, target, method, port, result string
	}{
		{"tcp open port", "127.0.0.1", "tcp", openPort, "ok"},
		{"tcp closed port", "127.0.0.1", "tcp", closedPort, "refused-but-up"},
		{"icmp", "127.0.0.1", "icmp", "80", "ok"},
		{"icmp ipv6", "::1", "icmp", "80", "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 300 ms for each probe: a busy machine may not run the
			// prober within 20 ms, and a closed port's probe would time out.
			res := runPinglog(t, t.TempDir(), "-foreground", "-count", "3", "-interval", "300ms",
				"-target", tc.target, "-method", tc.method, "-port", tc.port)
			if tc.method == "icmp" && res.code != 0 && strings.Contains(res.stderr, "icmp not permitted") && os.Geteuid() != 0 {
				t.Skipf("ICMP not permitted here: %s", res.stderr)
			}
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			ps := probes(t, strings.Split(res.stdout, "\n"))
			if checkSeqs(t, ps) != 3 {
				t.Fatalf("want 3 probes:\n%s", res.stdout)
			}
			for _, p := range ps {
				if p["method"] != tc.method || p["result"] != tc.result || p["rtt"] == "" {
					t.Errorf("probe %v; want method=%s result=%s with an rtt", p, tc.method, tc.result)
				}
			}
		})
	}
}
