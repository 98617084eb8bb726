package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Issue 25, item 5: tend up --foreground and a stdout read slowly.

// noisyLine is what the noisy daemon of tryForegroundSlowStdout writes,
// as fast as it can.
const noisyLine = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// tryForegroundSlowStdout (25.5): `tend up --foreground` of a noisy
// daemon and a quiet one, its stdout a pipe nobody reads until a second
// after the SIGTERM, then read at 400 KB/s (4 KiB every 10 ms), as a
// container runtime under load may; a SIGHUP (up again) half a second
// before the SIGTERM. tend must exit within 10 s of the TERM, with
// nothing of the daemons left. Every other try, as root, tend is PID 1
// of a new PID namespace (unshare --pid --fork --mount-proc).
func tryForegroundSlowStdout(t *T) error {
	dir, err := t.folder("slow")
	if err != nil {
		return err
	}
	procfile := fmt.Sprintf("noisy: sh -c 'while :; do echo %s; done'\nquiet: sleep %s\n", noisyLine, t.arg(0))
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		return err
	}
	argv := []string{t.e.cfg.tend, "up", "--foreground"}
	pid1 := t.I%2 == 1 && os.Geteuid() == 0
	if pid1 {
		if _, err := exec.LookPath("unshare"); err == nil {
			argv = append([]string{"unshare", "--pid", "--fork", "--mount-proc"}, argv...)
			t.count("tries as PID 1", 1)
		} else {
			pid1 = false
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	errFile := filepath.Join(dir, "stderr")
	ef, err := os.Create(errFile)
	if err != nil {
		w.Close()
		return err
	}
	defer ef.Close()
	ctx, cancel := context.WithTimeout(t.ctx, 40*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir, c.Stdout, c.Stderr = dir, w, ef
	c.Env = append(slices.Clone(t.e.base), "TEND_HOME="+t.e.home)
	c.WaitDelay = 2 * time.Second
	err = c.Start()
	w.Close()
	if err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	defer func() { cancel(); <-exited }()
	project := filepath.Base(dir)
	if err := t.waitFor(15*time.Second, "both daemons running", func() bool {
		a, _, err1 := t.status(project + ".noisy")
		b, _, err2 := t.status(project + ".quiet")
		return err1 == nil && err2 == nil && a.State == "running" && b.State == "running"
	}); err != nil {
		return fmt.Errorf("%w; tend's stderr: %q", err, clip(readText(errFile), 600))
	}
	tend := c.Process.Pid
	if pid1 {
		kids := children(c.Process.Pid)
		if len(kids) != 1 {
			return fmt.Errorf("unshare %d has children %v; expected tend alone", c.Process.Pid, kids)
		}
		tend = kids[0]
	}
	if err := t.kill(tend, syscall.SIGHUP); err != nil {
		return err
	}
	t.sleep(500 * time.Millisecond)
	t.Step("SIGTERM to tend up --foreground, its stdout read late and slowly")
	began := time.Now()
	if err := t.kill(tend, syscall.SIGTERM); err != nil {
		return err
	}
	go func() {
		time.Sleep(time.Second)
		buf := make([]byte, 4096)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var p problems
	select {
	case <-exited:
		took := time.Since(began)
		t.measure(took)
		if took > 10*time.Second {
			p.add("tend up --foreground took %s to exit after SIGTERM; expected at most 10 s", short(took))
		}
	case <-time.After(20 * time.Second):
		t.count("tends still running 20 s after SIGTERM", 1)
		p.add("tend up --foreground still runs 20 s after SIGTERM (after a SIGHUP, its stdout read slowly); stderr: %q", clip(readText(errFile), 600))
		return p.err()
	}
	if left := append(sleeping(t.arg(0)), withCmdline(noisyLine)...); len(left) > 0 {
		p.add("after tend up --foreground exited, its daemons still run: %v", left)
	}
	return p.err()
}
