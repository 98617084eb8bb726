package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tendhq/tend/internal/testexec"
)

// oldLine is one of the lines the daemons of TestLogsLineCounts wrote
// before any tend logs ran: a001 ... a150, b001 ... b150.
var oldLine = regexp.MustCompile(`(?m)[ab]\d{3}$`)

// TestLogsLineCounts: -n means what it means to tail, with -f or without,
// for one daemon or several (issue 24, item 11): N lines, 0 none, all
// every line; --since without -n every line of that time.
func TestLogsLineCounts(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		// 150 old lines, then the lines of the file go-NAME each time
		// the test makes it.
		script := fmt.Sprintf("for i in $(seq -w 1 150); do echo %[1]s$i; done; "+
			"cd %[2]s; while :; do while [ ! -e go-%[1]s ]; do sleep 0.02; done; cat go-%[1]s; rm go-%[1]s; done", name, dir)
		if r := e.tend("start", name, "--", "sh", "-c", script); r.code != 0 {
			t.Fatalf("start %s: %v", name, r)
		}
		eventually(t, name+"'s old lines", func() bool { return strings.Contains(e.tend("logs", name).stdout, name+"150") })
	}
	for _, tc := range []struct {
		args []string
		want int // old lines printed
	}{
		{[]string{"a"}, 100},
		{[]string{"a", "-n", "2"}, 2},
		{[]string{"a", "-n", "0"}, 0},
		{[]string{"a", "-n", "all"}, 150},
		{[]string{"a", "--since", "1h"}, 150},
		{[]string{"a", "--since", "1h", "-n", "3"}, 3},
		{[]string{"a", "b"}, 20},
		{nil, 20},
		{[]string{"a", "b", "-n", "2"}, 4},
		{[]string{"-n", "0"}, 0},
		{[]string{"a", "b", "-n", "0"}, 0},
		{[]string{"-n", "all"}, 300},
		{[]string{"--since", "1h"}, 300},
	} {
		args := append([]string{"logs"}, tc.args...)
		r := e.tend(args...)
		if got := len(oldLine.FindAllString(r.stdout, -1)); r.code != 0 || got != tc.want || strings.Count(r.stdout, "\n") != tc.want {
			t.Errorf("tend %s: %d old lines, want %d: %v", strings.Join(args, " "), got, tc.want, r)
		}
	}
	if r := e.tend("logs", "a", "-n", "-1"); r.code != 2 || !strings.Contains(r.stderr, "0: none; all: every line") {
		t.Errorf("-n -1: %v", r)
	}

	// Following: first the lines that the same command prints without
	// -f, then the new ones.
	for k, args := range [][]string{
		{"a"}, {"a", "-n", "2"}, {"a", "-n", "0"}, {"a", "-n", "all"}, {"a", "--since", "1h"},
		nil, {"a", "b", "-n", "2"}, {"-n", "0"}, {"-n", "all"}, {"--since", "1h"},
	} {
		what := "tend logs -f " + strings.Join(args, " ")
		old := e.tend(append([]string{"logs"}, args...)...).stdout
		cmd := exec.Command(tendBin, append([]string{"logs", "-f"}, args...)...)
		cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
		var out testexec.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Once the old lines are there, the new ones are made; with none
		// to wait for, they are made until one shows: Follow may not
		// have reached the end of the log yet.
		eventually(t, what+": the old lines", func() bool { return len(out.String()) >= len(old) })
		mark := fmt.Sprintf("new-%d", k)
		names := []string{"a", "b"}
		if len(args) > 0 && args[0] == "a" && (len(args) == 1 || args[1] != "b") {
			names = names[:1]
		}
		for _, name := range names {
			line, goFile := mark+"-"+name, filepath.Join(dir, "go-"+name)
			made := 0
			eventually(t, what+": "+name+"'s new line", func() bool {
				if strings.Contains(out.String(), line) {
					return true
				}
				if _, err := os.Stat(goFile); err == nil {
					return false // not read yet
				}
				tmp := filepath.Join(dir, "tmp-"+name)
				writeFile(t, tmp, line+"\n")
				os.Rename(tmp, goFile)
				made++
				return false
			})
			// Each line made is in the log before the next command runs,
			// which compares what it prints with tend logs.
			eventually(t, what+": "+name+"'s new lines in its log", func() bool {
				_, err := os.Stat(goFile)
				return err != nil && strings.Count(e.tend("logs", name, "-n", "all").stdout, line) == made
			})
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		var before []string
		for _, l := range strings.SplitAfter(out.String(), "\n") {
			if !strings.Contains(l, mark) {
				before = append(before, l)
			}
		}
		if got := strings.Join(before, ""); got != old {
			t.Errorf("%s printed, before the new lines:\n%s\nwant what tend logs prints without -f:\n%s", what, got, old)
		}
	}
}

// TestTwentyWriters: 20 daemons of one host write at once, 20,000 lines
// on stdout and 2,000 on stderr each, as fast as they can: every log
// holds every line of both streams once, in order (issue 20).
func TestTwentyWriters(t *testing.T) {
	e := newEnv(t)
	const daemons, lines = 20, 20000
	var wg sync.WaitGroup
	for i := range daemons {
		wg.Go(func() { e.mustStart(fmt.Sprintf("w%d", i), "print", "--env", "TEST_LINES="+strconv.Itoa(lines)) })
	}
	wg.Wait()
	for i := range daemons {
		name := fmt.Sprintf("w%d", i)
		var out string
		eventually(t, name+"'s lines all in its log", func() bool {
			out = e.tend("logs", "-n", "all", name).stdout
			return strings.Count(out, "\n") >= lines+lines/10
		})
		next := map[string]int{"stdout": 1, "stderr": 10}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			f := strings.Fields(l) // TIME STREAM line|err N
			if len(f) != 4 {
				t.Fatalf("%s: a line not of the helper's: %q", name, l)
			}
			n, _ := strconv.Atoi(f[3])
			if n != next[f[1]] {
				t.Fatalf("%s: %s line %d where %d was due", name, f[1], n, next[f[1]])
			}
			next[f[1]] = n + map[string]int{"stdout": 1, "stderr": 10}[f[1]]
		}
		if next["stdout"] != lines+1 || next["stderr"] != lines+10 {
			t.Errorf("%s: stdout up to %d, stderr up to %d; want %d and %d", name, next["stdout"]-1, next["stderr"]-10, lines, lines)
		}
	}
}
