package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A command given as one argument is read as a Procfile line (issue 24,
// item 10), unless it names a program.
func TestSplitSingle(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "my app", "run server")
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv  []string
		want  []string
		shell bool
	}{
		{[]string{"node worker.js | grep job"}, []string{"/bin/sh", "-c", "node worker.js | grep job"}, true},
		{[]string{"PORT=80 ./server >log"}, []string{"/bin/sh", "-c", "PORT=80 exec ./server >log"}, true},
		{[]string{"a; exec b"}, []string{"/bin/sh", "-c", "a; exec b"}, true},
		{[]string{"node worker.js"}, []string{"node", "worker.js"}, false},
		{[]string{"'quoted prog' arg"}, []string{"quoted prog", "arg"}, false},
		{[]string{"/bin/sh -c 'a | b'"}, []string{"/bin/sh", "-c", "a | b"}, false},
		{[]string{"sleep"}, []string{"sleep"}, false},
		{[]string{prog}, []string{prog}, false}, // a path with blanks that exists
		{[]string{"node", "a | b"}, []string{"node", "a | b"}, false},
	} {
		got, shell, err := splitSingle(tc.argv, nil)
		if err != nil || !slices.Equal(got, tc.want) || shell != tc.shell {
			t.Errorf("splitSingle(%q) = %q, shell %v, %v; want %q, shell %v", tc.argv, got, shell, err, tc.want, tc.shell)
		}
	}
	if _, _, err := splitSingle([]string{"sleep 'x"}, nil); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("an unterminated quote: %v", err)
	}
	// A name found in the PATH that --env sets is a program.
	if got, _, _ := splitSingle([]string{"run server"}, []string{"PATH=" + filepath.Dir(prog)}); !slices.Equal(got, []string{"run server"}) {
		t.Errorf("a program in --env PATH was split: %q", got)
	}
}

func TestStartCommandLine(t *testing.T) {
	e := newEnv(t)
	cmdline := func(pid int) string {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		return string(b)
	}

	// Shell syntax: run by /bin/sh -c, and said so in one line.
	r := e.tend("start", "jobs", "echo job one | tr a-z A-Z; exec sleep 1000")
	pid := startedPID(t, r)
	if r.stderr != "note: jobs: the command is a shell line, so it runs as a Procfile line does: /bin/sh -c 'echo job one | tr a-z A-Z; exec sleep 1000'\n" {
		t.Errorf("the shell note: %q", r.stderr)
	}
	if c := cmdline(pid); !strings.HasPrefix(c, "/bin/sh\x00-c\x00") && !strings.HasPrefix(c, "sleep\x001000") {
		t.Errorf("jobs runs %q, not the shell's line", c)
	}
	eventually(t, "the pipeline's output in the log", func() bool { return strings.Contains(e.tend("logs", "jobs").stdout, "JOB ONE") })

	// Plain words: split, run directly, nothing said.
	r = e.tend("start", "words", "sleep 1000")
	pid = startedPID(t, r)
	if r.stderr != "" || cmdline(pid) != "sleep\x001000\x00" {
		t.Errorf("words: stderr %q, runs %q; want sleep 1000 run directly", r.stderr, cmdline(pid))
	}

	// A program whose path has blanks: run as it is, from the folder of
	// tend start for a relative path.
	dir := t.TempDir()
	prog := filepath.Join(dir, "my app", "run server")
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = e.tend("start", "spaced", prog)
	startedPID(t, r)
	r = e.tendIn(dir, nil, "start", "spaced2", "./my app/run server")
	startedPID(t, r)
	for _, name := range []string{"spaced", "spaced2"} {
		if s, _ := e.status(name); s.State != "running" {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if r := e.tend("status", "spaced2"); !strings.Contains(r.stdout, "'"+prog+"'") {
		t.Errorf("status spaced2: %v", r)
	}

	// tend run reads it so too.
	r = e.tend("run", "--restart", "never", "echo run line | tr a-z A-Z")
	if r.code != 0 || r.stdout != "RUN LINE\n" || !strings.Contains(r.stderr, "/bin/sh -c 'echo run line | tr a-z A-Z'") {
		t.Errorf("tend run: %v", r)
	}

	// Neither a program nor a line: a usage error that says why.
	r = e.tend("start", "bad", "sleep 'x")
	if r.code != 2 || !strings.Contains(r.stderr, `the command "sleep 'x" is not a program, and cannot be read as a command line: unterminated ' quote`) {
		t.Errorf("an unterminated quote: %v", r)
	}
}

// startedPID is the pid that a successful tend start printed.
func startedPID(t *testing.T, r result) int {
	t.Helper()
	_, rest, ok := strings.Cut(r.stdout, "(pid ")
	pid, err := strconv.Atoi(strings.TrimRight(rest, ")\n"))
	if r.code != 0 || !ok || err != nil {
		t.Fatalf("start: %v", r)
	}
	return pid
}
