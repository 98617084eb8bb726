package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUnixListenSocketForUser: the unix --listen socket of a daemon that
// runs as --user nobody is one that nobody can connect to: mode 0666 by
// default (systemd's SocketMode=), owned by the supervisor's user (root);
// with --socket-user nobody --socket-mode 0600, nobody's alone; with
// --socket-mode 0600 alone, root's alone, and nobody is refused.
func TestUnixListenSocketForUser(t *testing.T) {
	nb := asNobody(t) // as root only
	e := newEnv(t)
	dir := filepath.Dir(nb.testBin) // nobody may pass through it
	for _, c := range []struct {
		name  string
		opts  []string
		mode  fs.FileMode
		owner uint32
		dials bool
	}{
		{"default", nil, 0o666, 0, true},
		{"owned", []string{"--socket-user", "nobody", "--socket-mode", "0600"}, 0o600, nb.cred.Uid, true},
		{"closed", []string{"--socket-mode", "0600"}, 0o600, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sock := filepath.Join(dir, c.name+".sock")
			args := append([]string{"start", c.name, "--user", "nobody", "--dir", "/", "--listen", "unix://" + sock,
				"--ready", "notify", "--env", helperEnv + "=ready", "--env", "TEST_HOW=listen"}, c.opts...)
			if r := e.tend(append(args, "--", nb.testBin)...); r.code != 0 {
				t.Fatalf("start: %v", r)
			}
			defer e.tend("stop", c.name)
			fi, err := os.Lstat(sock)
			if err != nil {
				t.Fatal(err)
			}
			if uid := fi.Sys().(*syscall.Stat_t).Uid; fi.Mode() != fs.ModeSocket|c.mode || uid != c.owner {
				t.Errorf("socket file %v owned by uid %d, want %v owned by uid %d", fi.Mode(), uid, fs.ModeSocket|c.mode, c.owner)
			}
			out, _ := nb.run(t, []string{helperEnv + "=ready", "TEST_HOW=dial", "TEST_ADDR=" + sock}, nb.testBin)
			s, _ := e.status(c.name)
			hello := `dial: "hello ` + strconv.Itoa(s.PID) + `\n" <nil>`
			switch {
			case c.dials && !strings.Contains(out, hello):
				t.Errorf("nobody's client: %q, want %s", out, hello)
			case !c.dials && !strings.Contains(out, "permission denied"):
				t.Errorf("nobody's client: %q, want permission denied", out)
			}
		})
	}
}
