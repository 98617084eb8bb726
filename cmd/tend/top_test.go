package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tend top, black-box: in a tmux pane of a tmux server of the test's own
// (its own socket), read with capture-pane.

// tmuxPane is one pane of a private tmux server.
type tmuxPane struct {
	t      *testing.T
	socket string
}

// requireTmux finds tmux: a test without it skips, but fails under CI,
// which installs it (.ci/run).
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is not installed (.ci/run installs it: apt-get install tmux): %v", err)
		}
		t.Skipf("tmux is not installed (apt-get install tmux): %v", err)
	}
}

// newPane starts a tmux server of its own with one pane of width x
// height running the shell line cmd, with env added to the environment.
// The server is killed at the end of the test.
func newPane(t *testing.T, width, height int, env []string, cmd string) *tmuxPane {
	t.Helper()
	dir, err := os.MkdirTemp("", "tend-tmux") // short: a socket's path has 108 bytes at most
	if err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{t: t, socket: filepath.Join(dir, "sock")}
	args := []string{"new-session", "-d", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	p.tmux(append(args, cmd)...)
	t.Cleanup(func() {
		p.tmux("kill-server")
		os.RemoveAll(dir)
	})
	return p
}

// tmux runs a tmux command on the pane's server, and returns its output.
func (p *tmuxPane) tmux(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", p.socket, "-f", "/dev/null"}, args...)...)
	// Not the tmux the test may run in.
	cmd.Env = append(os.Environ(), "TMUX=")
	out, err := cmd.CombinedOutput()
	if err != nil && args[0] != "kill-server" {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the pane's text; with escapes, its colors and attributes
// too.
func (p *tmuxPane) screen(escapes bool) string {
	p.t.Helper()
	if escapes {
		return p.tmux("capture-pane", "-p", "-e")
	}
	return p.tmux("capture-pane", "-p")
}

// waitScreen polls the screen until cond holds, 10 s at most, and
// returns it.
func (p *tmuxPane) waitScreen(what string, cond func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := p.screen(false)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flags are the terminal modes of the pane that a full-screen program
// changes and must set back.
func (p *tmuxPane) flags() string {
	return p.tmux("display-message", "-p",
		"alt=#{alternate_on} cursor=#{cursor_flag} keypad=#{keypad_flag} keypad_cursor=#{keypad_cursor_flag} "+
			"mouse=#{mouse_any_flag} insert=#{insert_flag} wrap=#{wrap_flag} origin=#{origin_flag}")
}

// screenCell returns the word of name's row under the column headed
// head: one that starts where the header does (left-aligned), or ends
// where it ends (right-aligned).
func screenCell(screen, name, head string) (string, bool) {
	lines := strings.Split(screen, "\n")
	hi := -1
	var header string
	for i, l := range lines {
		if strings.Contains(l, " NAME ") && strings.Contains(l, " STATE ") {
			hi, header = i, l
			break
		}
	}
	if hi < 0 {
		return "", false
	}
	at := regexp.MustCompile(`\b` + regexp.QuoteMeta(head) + `\b`).FindStringIndex(header)
	if at == nil {
		return "", false
	}
	row := regexp.MustCompile(`^[> ] ` + regexp.QuoteMeta(name) + ` `)
	for _, l := range lines[hi+1:] {
		if !row.MatchString(l) || len(l) < at[1] {
			continue
		}
		start, end := at[0], at[1]
		if l[start] != ' ' && l[start-1] == ' ' {
			// Left-aligned: the word that starts under the header.
			for end = start; end < len(l) && l[end] != ' '; end++ {
			}
		} else {
			// Right-aligned: the word that ends where the header does.
			for start = end; start > 0 && l[start-1] != ' '; start-- {
			}
		}
		return l[start:end], true
	}
	return "", false
}

// TestTopInTmux runs tend top as a user would, at 80x24 and in a bigger
// terminal without colors: it shows the daemons and their states,
// restarts one on r, shows a daemon started elsewhere without a key
// press, follows a resize, and quits on q (or Ctrl-C), leaving the
// terminal as it was.
func TestTopInTmux(t *testing.T) {
	requireTmux(t)
	for _, tc := range []struct {
		width, height int
		noColor       bool
		quit          string // the key that quits
	}{
		{80, 24, false, "q"},
		{160, 50, true, "C-c"},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.width, tc.height), func(t *testing.T) {
			e := newEnv(t)
			e.mustStart("web", "sleep")
			e.mustStart("worker", "tick")
			e.tendIn("", []string{"TEST_EXIT=3"}, append([]string{"start", "bad"}, e.helper("exit")...)...)
			if s, _ := e.status("bad"); s.State != "failed" {
				t.Fatalf("bad is %s, want failed", s.State)
			}

			env := []string{"TEND_HOME=" + e.home, "TERM=screen", "NO_COLOR="}
			if tc.noColor {
				env[2] = "NO_COLOR=1"
			}
			// The shell writes the terminal's settings before and after
			// tend top, which it starts on Enter, and how it exited.
			script := fmt.Sprintf(`stty -g >%[1]s/stty.before; echo before top; read go; %[2]s top; echo "top exited $?"; stty -g >%[1]s/stty.after; exec cat`,
				e.home, tendBin)
			p := newPane(t, tc.width, tc.height, env, script)
			p.waitScreen("the shell's first line", func(s string) bool { return strings.Contains(s, "before top") })
			flagsBefore := p.flags()
			p.tmux("send-keys", "Enter")

			// Its daemons and their states.
			s := p.waitScreen("the three daemons", func(s string) bool {
				st1, _ := screenCell(s, "web", "STATE")
				st2, _ := screenCell(s, "worker", "STATE")
				st3, _ := screenCell(s, "bad", "STATE")
				return st1 == "running" && st2 == "running" && st3 == "failed"
			})
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "tend top") || len(lines) != tc.height || !strings.Contains(lines[len(lines)-1], "q:quit") {
				t.Fatalf("the screen is not the view, header first and keys last, in %d lines:\n%s", tc.height, s)
			}
			colored := regexp.MustCompile(`\x1b\[[0-9;]*3[1-6]m`).MatchString(p.screen(true))
			if colored == tc.noColor {
				t.Errorf("NO_COLOR=%v, and the screen has colors: %v\n%q", tc.noColor, colored, p.screen(true))
			}

			// r restarts the selected daemon: web, below bad.
			web, _ := e.status("web")
			p.tmux("send-keys", "Down")
			p.waitScreen("web selected", func(s string) bool { return strings.Contains(s, "> web ") })
			p.tmux("send-keys", "r")
			s = p.waitScreen("web's restart count at 1", func(s string) bool {
				n, _ := screenCell(s, "web", "RESTARTS")
				if n == "" {
					n, _ = screenCell(s, "web", "RST")
				}
				st, _ := screenCell(s, "web", "STATE")
				return n == "1" && st == "running"
			})
			after, _ := e.status("web")
			if after.Restarts != 1 || after.PID == web.PID {
				t.Errorf("after r, web has %d restarts and pid %d (was %d)", after.Restarts, after.PID, web.PID)
			}
			if pid, _ := screenCell(s, "web", "PID"); pid != strconv.Itoa(after.PID) {
				t.Errorf("the screen shows web's pid %s, status %d:\n%s", pid, after.PID, s)
			}

			// A daemon started from another shell shows, no key pressed.
			e.mustStart("late", "sleep")
			p.waitScreen("late, running", func(s string) bool {
				st, _ := screenCell(s, "late", "STATE")
				return st == "running"
			})

			// A resize: the view fills the new size, keys last.
			w, h := tc.width+20, tc.height+6
			p.tmux("resize-window", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
			p.waitScreen("the view at the new size", func(s string) bool {
				lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
				return len(lines) == h && strings.HasPrefix(lines[0], "tend top") && strings.Contains(lines[h-1], "q:quit")
			})

			// q (or Ctrl-C) quits, and the terminal is as it was.
			p.tmux("send-keys", tc.quit)
			s = p.waitScreen("the shell after tend top", func(s string) bool { return strings.Contains(s, "top exited") })
			if !strings.Contains(s, "top exited 0") || !strings.Contains(s, "before top") || strings.Contains(s, "NAME") {
				t.Errorf("after q, the screen is not the shell's as it was:\n%s", s)
			}
			if got := p.flags(); got != flagsBefore {
				t.Errorf("the terminal's modes after tend top: %s, before: %s", got, flagsBefore)
			}
			read := func(name string) string { b, _ := os.ReadFile(filepath.Join(e.home, name)); return string(b) }
			eventually(t, "the shell's stty after tend top", func() bool { return read("stty.after") != "" })
			if before, after := read("stty.before"), read("stty.after"); before != after {
				t.Errorf("the terminal's settings after tend top: %s, before: %s", after, before)
			}
		})
	}
}

// waitCell waits until name's row shows want under head, and returns the
// screen.
func (p *tmuxPane) waitCell(name, head, want string) string {
	p.t.Helper()
	return p.waitScreen(fmt.Sprintf("%s under %s for %s", want, head, name), func(s string) bool {
		got, _ := screenCell(s, name, head)
		return got == want
	})
}

// TestTopRemote runs tend top --remote against a host's API served on
// TCP (tend api listen), from a state folder of its own: the daemons,
// their log, their CPU from /metrics, a restart; and a wrong token is
// refused before the view opens.
func TestTopRemote(t *testing.T) {
	requireTmux(t)
	e := newEnv(t)
	e.mustStart("web", "sleep")
	e.mustStart("worker", "tick")
	token := filepath.Join(e.home, "token")
	if err := os.WriteFile(token, []byte("a-token-long-enough-for-the-host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.tend("api", "listen", "127.0.0.1:0", "--token-file", token)
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(r.stdout)
	if r.code != 0 || m == "" {
		t.Fatalf("tend api listen: %v", r)
	}
	defer e.tend("api", "listen", "--off")

	bad := filepath.Join(e.home, "bad")
	os.WriteFile(bad, []byte("not-the-token-of-this-host-at-all\n"), 0o600)
	if r := e.tend("top", "--remote", m, "--token-file", bad); r.code != 1 || !strings.Contains(r.stderr, "token") {
		t.Errorf("tend top with a wrong token: %v", r)
	}

	elsewhere := t.TempDir() // no daemon, no host: all it shows comes from the API
	script := fmt.Sprintf(`%s top --remote %s --token-file %s; echo "top exited $?"; exec cat`, tendBin, m, token)
	p := newPane(t, 80, 24, []string{"TEND_HOME=" + elsewhere, "TERM=screen"}, script)
	p.waitCell("web", "STATE", "running")
	p.waitCell("worker", "STATE", "running")
	if s := p.screen(false); !strings.Contains(s, "tend top · "+m) {
		t.Errorf("the header does not name the host:\n%s", s)
	}
	p.tmux("send-keys", "Down")
	p.waitScreen("worker's log, from the logs route", func(s string) bool {
		return strings.Contains(s, "> worker ") && regexp.MustCompile(`\d\d:\d\d:\d\d tick \d+`).MatchString(s)
	})
	p.waitScreen("worker's CPU, from /metrics", func(s string) bool {
		cpu, _ := screenCell(s, "worker", "CPU")
		return strings.HasSuffix(cpu, "%")
	})
	p.tmux("send-keys", "r")
	p.waitCell("worker", "RESTARTS", "1")
	if s, _ := e.status("worker"); s.Restarts != 1 || s.State != "running" {
		t.Errorf("after r, worker is %s with %d restarts", s.State, s.Restarts)
	}
	p.tmux("send-keys", "q")
	p.waitScreen("the shell after tend top", func(s string) bool { return strings.Contains(s, "top exited 0") })
	if _, err := os.Stat(filepath.Join(elsewhere, "tend.sock")); err == nil {
		t.Error("tend top --remote started a host of its own state folder")
	}
}

func TestParseMetric(t *testing.T) {
	for _, tc := range []struct {
		line string
		want metric
		ok   bool
	}{
		{`tend_daemon_cpu_seconds_total{name="web",project=""} 1.25`, metric{"tend_daemon_cpu_seconds_total", "web", 1.25}, true},
		{`tend_daemon_memory_bytes{project="shop",name="shop.web"} 4.2e+07 1700000000`, metric{"tend_daemon_memory_bytes", "shop.web", 4.2e7}, true},
		{`tend_daemon_processes{name="a\"b\\c",project=""} 3`, metric{"tend_daemon_processes", `a"b\c`, 3}, true},
		{`# HELP tend_daemon_up 1 when {name="x"} runs`, metric{}, false},
		{`go_goroutines 12`, metric{}, false},
		{`tend_host_x{kind="a"} 1`, metric{}, false},
		{`tend_daemon_up{name="web" 1`, metric{}, false},
	} {
		got, ok := parseMetric(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseMetric(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}
