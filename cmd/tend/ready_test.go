package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	// Below the kernel's ephemeral range (from 32768 by default), where
	// no outgoing connection of a test running beside this one can take
	// the port between this check and its use, as it could one that the
	// kernel handed out for ":0".
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port in 20000-31999 after 100 tries")
	return ""
}

// readyHelperPIDs returns the pids the helpers noted as "running PID".
func (e *env) readyHelperPIDs() []int {
	b, _ := os.ReadFile(e.note)
	var pids []int
	for _, m := range regexp.MustCompile(`running (\d+)`).FindAllStringSubmatch(string(b), -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// readyCase is one --ready mode with the helper options that satisfy it.
type readyCase struct {
	mode string
	opts []string
}

func readyCases(t *testing.T, dir string) []readyCase {
	tcp, httpAddr := freeAddr(t), freeAddr(t)
	sock, file := filepath.Join(dir, "s.sock"), filepath.Join(dir, "ready-file")
	return []readyCase{
		{"notify", []string{"--env", "TEST_HOW=notify"}},
		{"fd:5", []string{"--env", "TEST_HOW=fd", "--env", "TEST_FD=5"}},
		{"tcp:" + tcp, []string{"--env", "TEST_HOW=tcp", "--env", "TEST_ADDR=" + tcp}},
		{"unix:" + sock, []string{"--env", "TEST_HOW=unix", "--env", "TEST_ADDR=" + sock}},
		{"http://" + httpAddr + "/health", []string{"--env", "TEST_HOW=http", "--env", "TEST_ADDR=" + httpAddr}},
		{"file:" + file, []string{"--env", "TEST_HOW=file", "--env", "TEST_FILE=" + file}},
		{"after:700ms", []string{"--env", "TEST_HOW=none"}},
	}
}

// TestReadyModes starts a daemon with each --ready mode three ways: one that
// becomes ready late (start waits for it), one that never does (start
// fails at the timeout and nothing keeps running), one that dies first
// (start fails with its last log lines).
func TestReadyModes(t *testing.T) {
	for i, c := range readyCases(t, t.TempDir()) {
		t.Run(strings.SplitN(c.mode, ":", 2)[0], func(t *testing.T) {
			t.Parallel()
			// late
			e := newEnv(t)
			begin := time.Now()
			opts := append([]string{"--ready", c.mode, "--env", "TEST_DELAY=500ms", "--restart", "never"}, c.opts...)
			pid := e.mustStart("late", "ready", opts...)
			if d := time.Since(begin); d < 500*time.Millisecond {
				t.Errorf("start returned after %v, before the daemon was ready", d)
			}
			if s, code := e.status("late"); code != 0 || s.State != "running" || s.PID != pid {
				t.Errorf("status after a ready start: %d %+v", code, s)
			}
			if c.mode == "notify" {
				if r := e.tend("status", "late"); !strings.Contains(r.stdout, "status:     serving") {
					t.Errorf("STATUS= not shown: %v", r)
				}
			}
			e.tend("stop", "late")
			if f, ok := strings.CutPrefix(c.mode, "file:"); ok {
				os.Remove(f) // made by the late daemon
			}

			// never: the helper does nothing
			e2 := newEnv(t)
			never := append([]string{"--ready", c.mode, "--ready-timeout", "1s"}, c.opts...)
			never = append(never, "--env", "TEST_DELAY=1h")
			if c.mode == "after:700ms" {
				never = []string{"--ready", "after:1h", "--ready-timeout", "1s"}
			}
			r := e2.start("never", "ready", never...)
			if r.code != 1 || !strings.Contains(r.stderr, "not ready within 1s") || !strings.Contains(r.stderr, "helper starting") {
				t.Errorf("never ready: %v", r)
			}
			for _, pid := range e2.readyHelperPIDs() {
				if alive(pid) {
					t.Errorf("pid %d still runs after a failed start", pid)
				}
			}
			// The start's verdict comes with the failure; the supervisor's
			// own end (its last record) follows it at once.
			eventually(t, "status after a failed start: not running, no supervisor", func() bool {
				s, code := e2.status("never")
				return code != 0 && s.SupervisorPID == 0
			})

			// dies first
			e3 := newEnv(t)
			mode := c.mode
			if strings.HasPrefix(mode, "after:") {
				mode = "after:1m" // it must die first, however slow the machine
			}
			dies := append([]string{"--ready", mode}, c.opts...)
			dies = append(dies, "--env", "TEST_HOW=die", "--env", "TEST_DELAY="+strconv.Itoa(50*i)+"ms")
			r = e3.start("dies", "ready", dies...)
			if r.code != 1 || !strings.Contains(r.stderr, "exited with status 3 before it was ready") ||
				!strings.Contains(r.stderr, "fatal: bad config at line 3") {
				t.Errorf("dies first: %v", r)
			}
			if _, code := e3.status("dies"); code == 0 {
				t.Errorf("status after a daemon died: %d", code)
			}
		})
	}
}

// TestReadyRedis runs Debian's redis-server, which speaks sd_notify with
// --supervised systemd: tend start returns only once it accepts
// connections. .ci/run installs it.
func TestReadyRedis(t *testing.T) {
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs it")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server, or run .ci/run)")
	}
	e := newEnv(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	r := e.tend("start", "redis", "--ready", "notify", "--dir", dir, "--", redis,
		"--port", "0", "--unixsocket", sock, "--supervised", "systemd", "--save", "", "--appendonly", "no", "--daemonize", "no")
	if r.code != 0 {
		t.Fatalf("start redis: %v", r)
	}
	// Ready means it answers now, without retrying.
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("redis reported ready but refuses connections: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("PING\r\n"))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "+PONG\r\n" {
		t.Errorf("PING: %q", line)
	}
	if r := e.tend("status", "redis"); r.code != 0 || !strings.Contains(r.stdout, "redis: running") {
		t.Errorf("status: %v", r)
	}
	if r := e.tend("stop", "redis"); r.code != 0 {
		t.Errorf("stop: %v", r)
	}
}

// TestWatchdogRestart: a daemon that stops sending WATCHDOG=1 is restarted.
func TestWatchdogRestart(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("wd", "ready", "--ready", "notify", "--watchdog", "800ms",
		"--env", "TEST_HOW=watchdog", "--env", "TEST_PINGS=4")
	eventually(t, "a restart by the watchdog", func() bool {
		s, _ := e.status("wd")
		return s.Restarts >= 1 && s.PID != 0 && s.PID != pid && s.State == "running"
	})
	if alive(pid) {
		t.Errorf("the silent daemon %d still runs", pid)
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "wd", "events.log"))
	if !strings.Contains(string(b), "watchdog: no WATCHDOG=1 within 800ms") {
		t.Errorf("events.log does not say why:\n%s", b)
	}
}

// TestNotifyMainPID: MAINPID= over sd_notify names the daemon's main
// process, as a pidfile does: tend start and status name it, a signal
// reaches it, and its end is the incarnation's (restarted).
func TestNotifyMainPID(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("mp", "ready", "--ready", "notify", "--env", "TEST_HOW=mainpid")
	var pids []int
	eventually(t, "the launcher and the server", func() bool { pids = e.readyHelperPIDs(); return len(pids) == 2 })
	if len(pids) != 2 {
		t.FailNow()
	}
	launcher, server := pids[0], pids[1]
	if pid != server {
		t.Errorf("tend start named pid %d, want the server %d (its launcher %d sent MAINPID=)", pid, server, launcher)
	}
	if r := e.tend("status", "mp"); !strings.Contains(r.stdout, fmt.Sprintf("main process: pid %d, adopted: MAINPID", server)) {
		t.Errorf("status does not name the server as adopted by MAINPID:\n%s", r.stdout)
	}
	if r := e.tend("signal", "mp", "TERM"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("(pid %d)", server)) {
		t.Fatalf("signal: %v, want it sent to the server %d", r, server)
	}
	eventually(t, "a restart after the server's end", func() bool {
		s, _ := e.status("mp")
		return s.Restarts == 1 && s.State == "running" && s.PID != server && s.PID != 0
	})
	if alive(server) || alive(launcher) {
		t.Errorf("the first incarnation's processes still run: server %v, launcher %v", alive(server), alive(launcher))
	}
}

// TestHealthRestartsHungServer: an HTTP server that hangs fails its health
// probes and is restarted; status shows the verdict.
func TestHealthRestartsHungServer(t *testing.T) {
	e := newEnv(t)
	addr := freeAddr(t)
	hang := filepath.Join(e.home, "hang")
	url := "http://" + addr + "/"
	pid := e.mustStart("web", "ready", "--ready", url, "--health", url, "--health-interval", "300ms",
		"--health-threshold", "2", "--env", "TEST_HOW=hang", "--env", "TEST_ADDR="+addr, "--env", "TEST_FILE="+hang)
	eventually(t, "a healthy verdict", func() bool {
		return strings.Contains(e.tend("status", "web").stdout, "health:     healthy")
	})
	os.WriteFile(hang, nil, 0o600)
	eventually(t, "an unhealthy verdict", func() bool {
		s, _ := e.status("web")
		return s.Restarts >= 1 || strings.Contains(e.tend("status", "web").stdout, "unhealthy (1 of 2 failures)")
	})
	eventually(t, "a restart of the hung server", func() bool {
		s, _ := e.status("web")
		return s.Restarts >= 1
	})
	os.Remove(hang)
	eventually(t, "the new server running and healthy", func() bool {
		s, _ := e.status("web")
		out := e.tend("status", "web").stdout
		return s.State == "running" && s.PID != pid && strings.Contains(out, "health:     healthy") && strings.Contains(out, "last probe: HTTP 200 OK")
	})
	if alive(pid) {
		t.Errorf("the hung server %d still runs", pid)
	}
}

// TestListenAcrossRestart: clients hammering a --listen daemon across
// tend restart see no refused connection: the supervisor keeps the socket.
func TestListenAcrossRestart(t *testing.T) {
	e := newEnv(t)
	addr := freeAddr(t)
	e.mustStart("srv", "ready", "--listen", "tcp://"+addr, "--ready", "notify", "--env", "TEST_HOW=listen")
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	pids := sync.Map{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				c.Close()
				if err != nil || !strings.HasPrefix(line, "hello ") {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, "read: "+line+" "+errString(err))
					continue
				}
				pids.Store(strings.TrimSpace(line), true)
				ok.Add(1)
			}
		}()
	}
	for i := 0; i < 3; i++ {
		if r := e.tend("restart", "srv"); r.code != 0 || !strings.Contains(r.stdout, "restarted srv (pid") {
			t.Errorf("restart: %v", r)
		}
		before := ok.Load()
		eventually(t, "answers after the restart", func() bool { return ok.Load() > before+10 })
	}
	close(stop)
	wg.Wait()
	n := 0
	pids.Range(func(any, any) bool { n++; return true })
	if failed.Load() != 0 || n < 4 {
		t.Errorf("%d connections answered by %d processes, %d failed (first: %v)", ok.Load(), n, failed.Load(), firstErr.Load())
	}
	if s, _ := e.status("srv"); s.Restarts != 3 || s.State != "running" {
		t.Errorf("status after 3 restarts: %+v", s)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestReadyUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"--ready", "sometime"},
		{"--ready", "fd:1"},
		{"--ready", "fd:3", "--listen", "tcp://127.0.0.1:1"},
		{"--listen", "udp://127.0.0.1:1"},
		{"--health", "file:/x"},
		{"--ready", "after:-1s"},
	} {
		r := e.tend(append(append([]string{"start", "bad"}, args...), "--", "true")...)
		if r.code != 2 {
			t.Errorf("start %v: %v, want exit 2", args, r)
		}
	}
}

// TestRunReady: tend run waits for readiness too, tells its own service
// manager (NOTIFY_SOCKET) once ready, and exits 1 when the command dies
// first.
func TestRunReady(t *testing.T) {
	e := newEnv(t)
	sockDir := t.TempDir()
	outer := filepath.Join(sockDir, "outer.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: outer, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := freeAddr(t)
	cmd := exec.Command(tendBin, append([]string{"run", "--ready", "tcp:" + addr}, e.helper("ready", "--env", "TEST_HOW=tcp", "--env", "TEST_ADDR="+addr, "--env", "TEST_DELAY=300ms")...)...)
	cmd.Env = append(os.Environ(), "TEND_HOME="+e.home, "NOTIFY_SOCKET="+outer)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	ln.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 512)
	n, err := ln.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "READY=1") {
		t.Fatalf("tend run did not report READY=1: %q %v", buf[:n], err)
	}
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Errorf("READY=1 before the command listens: %v", err)
	} else {
		c.Close()
	}

	r := e.tend(append([]string{"run", "--ready", "notify"}, e.helper("ready", "--env", "TEST_HOW=die")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "exited with status 3 before it was ready") {
		t.Errorf("tend run of a command that dies first: %v", r)
	}
}
