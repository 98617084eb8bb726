package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tryBytesNotUTF8 (25.8): arguments, an --env value and a --dir that are
// not UTF-8 (Latin-1 é, 0xff 0xfe) reach the daemon byte for byte: its
// /proc/PID/cmdline, environ, cwd, and the file it opens; again after a
// restart, which reads the definition the host stored.
func tryBytesNotUTF8(t *T) error {
	dir, err := t.folder("d\xe8r")
	if err != nil {
		return err
	}
	file := "caf\xe9-" + t.arg(0) + ".txt"
	if err := os.WriteFile(filepath.Join(dir, file), []byte("x\n"), 0o644); err != nil {
		return err
	}
	name, value := t.name(""), "\xff\xfe"+t.arg(0)
	command := []string{"tail", "-f", "--", file}
	if r := t.tend(append([]string{"start", name, "--dir", dir, "--env", "V=" + value, "--"}, command...)...); r.code != 0 {
		return fmt.Errorf("start: %v", r)
	}
	var p problems
	for _, when := range []string{"after the start", "after a restart"} {
		if when != "after the start" {
			if r := t.tend("restart", name); r.code != 0 {
				return fmt.Errorf("restart: %v", r)
			}
		}
		s, sr, err := t.status(name)
		if err != nil {
			return err
		}
		pid := strconv.Itoa(s.PID)
		cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		environ, _ := os.ReadFile("/proc/" + pid + "/environ")
		cwd, _ := os.Readlink("/proc/" + pid + "/cwd")
		switch {
		case string(cmdline) != strings.Join(command, "\x00")+"\x00":
			t.count("arguments changed", 1)
			p.add("%s: the daemon's arguments %q; expected %q (status: %v)", when, cmdline, command, sr)
		case !slices.Contains(strings.Split(string(environ), "\x00"), "V="+value):
			t.count("environments changed", 1)
			p.add("%s: V=%q not in the daemon's environment", when, value)
		case cwd != dir:
			t.count("directories changed", 1)
			p.add("%s: the daemon runs in %q; expected %q", when, cwd, dir)
		default:
			err := t.waitFor(3*time.Second, "tail to open "+file, func() bool { return hasOpen(s.PID, filepath.Join(dir, file)) })
			if err != nil {
				p.add("%s: %v", when, err)
			}
		}
	}
	if r := t.tend("stop", name); r.code != 0 {
		p.add("stop: %v", r)
	}
	return p.err()
}

// hasOpen reports whether process pid has path open.
func hasOpen(pid int, path string) bool {
	fds := "/proc/" + strconv.Itoa(pid) + "/fd/"
	entries, _ := os.ReadDir(fds)
	for _, e := range entries {
		if target, _ := os.Readlink(fds + e.Name()); target == path {
			return true
		}
	}
	return false
}
