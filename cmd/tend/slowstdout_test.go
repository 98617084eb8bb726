package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// TestForegroundTermAfterHUPSlowStdout (issue 25.5): tend up --foreground
// with a noisy daemon and its stdout a pipe read late and slowly (as a
// container runtime under load reads it): after a SIGHUP (up again),
// SIGTERM still brings it down within seconds, as a plain process and
// as PID 1. The daemons' output once held stdout for a whole batch of
// megabytes, and the HUP's report lines, and with them the TERM, waited
// behind it.
func TestForegroundTermAfterHUPSlowStdout(t *testing.T) {
	for _, asPID1 := range []bool{false, true} {
		name := "child"
		if asPID1 {
			name = "pid1"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "Procfile"),
				"noisy: sh -c 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done'\n"+
					"quiet: sleep 1000\n")
			argv := []string{tendBin, "up", "--foreground"}
			if asPID1 {
				argv = append([]string{need(t, "unshare"), "--pid", "--fork", "--mount-proc"}, argv...)
			}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "TEND_HOME="+e.home)
			cmd.Stdout = w // tend writes into the pipe itself, as to a container's
			errOut := &testexec.Buffer{}
			cmd.Stderr = errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				select {
				case <-done:
				default:
					for _, c := range children(cmd.Process.Pid) {
						syscall.Kill(c, syscall.SIGKILL)
					}
					cmd.Process.Kill()
					<-done
				}
				r.Close()
			})
			tend := cmd.Process.Pid
			if asPID1 {
				eventually(t, "unshare's child", func() bool {
					c := children(cmd.Process.Pid)
					if len(c) == 1 {
						tend = c[0]
					}
					return len(c) == 1
				})
			}
			eventually(t, "both daemons up", func() bool {
				a, _ := e.status(projectName(dir) + ".noisy")
				b, _ := e.status(projectName(dir) + ".quiet")
				return a.State == "running" && b.State == "running"
			})
			syscall.Kill(tend, syscall.SIGHUP)
			time.Sleep(500 * time.Millisecond) // the up again is under way, its reports waiting for stdout
			var read atomic.Int64
			began := time.Now()
			syscall.Kill(tend, syscall.SIGTERM)
			go func() {
				time.Sleep(time.Second) // read late...
				buf := make([]byte, 4096)
				for {
					n, err := r.Read(buf) // ...and slowly: 400 KB/s
					read.Add(int64(n))
					if err == io.EOF || err != nil {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("tend up --foreground still runs 15 s after SIGTERM (stdout read: %d bytes); stderr %q", read.Load(), errOut.String())
			}
			t.Logf("SIGTERM ended it in %v", time.Since(began))
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("SIGTERM took %v to end tend up --foreground", took)
			}
		})
	}
}
