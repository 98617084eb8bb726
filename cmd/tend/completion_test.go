package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The completion scripts, in the real shells: bash, zsh and fish complete
// commands, options, their values and daemon names, by asking tend.

// completionEnv starts two daemons and puts tend on PATH as "tend".
func completionEnv(t *testing.T) (*env, []string) {
	e := newEnv(t)
	e.mustStart("web", "sleep")
	e.mustStart("worker", "sleep")
	bin := t.TempDir()
	if err := os.Symlink(tendBin, filepath.Join(bin, "tend")); err != nil {
		t.Fatal(err)
	}
	return e, append(os.Environ(), "TEND_HOME="+e.home, "PATH="+bin+":"+os.Getenv("PATH"))
}

func TestCompletionBash(t *testing.T) {
	bash := need(t, "bash")
	_, environ := completionEnv(t)
	script := `source <(tend completion bash)
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); COMPREPLY=(); _tend; echo "[${COMPREPLY[*]}]"; }
c tend st
c tend stop w
c tend logs -f w
c tend start web --rest
c tend start web --restart ""
c tend signal web H
c tend completion f
c tend status --j
c tend start web sleep`
	cmd := exec.Command(bash, "-c", script)
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	want := "[start stop status startup]\n[web worker]\n[web worker]\n[--restart]\n[on-failure always never]\n[HUP]\n[fish]\n[--json]\n[]\n"
	if err != nil || string(out) != want {
		t.Errorf("bash completions: %v\n got %q\nwant %q", err, out, want)
	}
}

func TestCompletionFish(t *testing.T) {
	fish := need(t, "fish")
	_, environ := completionEnv(t)
	cmd := exec.Command(fish, "--no-config", "-c", `tend completion fish | source
complete -C "tend st"; echo ==
complete -C "tend logs wo"; echo ==
complete -C "tend start x --restart "`)
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	want := "start\nstartup\nstatus\nstop\n==\nworker\n==\nalways\nnever\non-failure\n"
	if err != nil || string(out) != want {
		t.Errorf("fish completions: %v\n got %q\nwant %q", err, out, want)
	}
}

// TestCompletionZsh types on an interactive zsh, on a terminal, and reads
// what the Tab key gave.
func TestCompletionZsh(t *testing.T) {
	zsh := need(t, "zsh")
	_, environ := completionEnv(t)
	cmd := exec.Command(zsh, "-f", "-i")
	cmd.Env = append(environ, "PS1=%% ", "TERM=dumb")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait(); f.Close() }()
	var mu sync.Mutex
	var out bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	screen := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	waitFor := func(what string) bool {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(screen(), what) {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("zsh never showed %q; screen: %q", what, screen())
		return false
	}
	io.WriteString(f, "autoload -U compinit; compinit -u; source <(tend completion zsh); echo READY\n")
	if !waitFor("READY\r") { // the terminal writes "\r\n" for a newline
		return
	}
	io.WriteString(f, "tend stat\t")
	if !waitFor("tend status ") {
		return
	}
	// Tab completes the daemon's name; Enter runs what it completed.
	io.WriteString(f, "wor\t")
	// zsh redraws the line as it completes ("tend status \b worker "):
	// the whole name, with the space after a completed word.
	if !waitFor("worker ") {
		return
	}
	io.WriteString(f, "\r")
	waitFor("worker: running")
}
