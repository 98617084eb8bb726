package daemon_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/pidfile"

	"github.com/tendhq/tend/internal/testexec"
)

// run starts the test binary as the daemon-main launcher with env added and
// waits for it, returning its exit code, stdout and stderr.
func run(t *testing.T, env ...string) (int, string, string) {
	t.Helper()
	cmd := launcher(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("launcher: %v", err)
	}
	return code, out.String(), errb.String()
}

func launcher(env ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"testd"}
	cmd.Env = testexec.Environ("daemon-main", env...)
	return cmd
}

type procStat struct {
	pid, ppid, pgrp, session, ttyNr int
	state                           string
}

func readStat(t *testing.T, pid int) procStat {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("read stat of %d: %v", pid, err)
	}
	return parseStat(t, string(b))
}

func parseStat(t *testing.T, s string) procStat {
	t.Helper()
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	pid := atoi(strings.Fields(s)[0])
	return procStat{pid: pid, state: f[0], ppid: atoi(f[1]), pgrp: atoi(f[2]), session: atoi(f[3]), ttyNr: atoi(f[4])}
}

// statusField returns a field of /proc/PID/status (or of the text given).
func statusField(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func readStatus(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitPidfile polls for the pidfile with a deadline and returns the pid.
func daemonPID(t *testing.T, path string) int {
	t.Helper()
	pid, err := pidfile.Read(path)
	if err != nil {
		t.Fatalf("pidfile after ready: %v", err)
	}
	return pid
}

// stop sends SIGTERM to a daemon the test inherited (we are its subreaper)
// and reaps it, failing if it does not exit in time.
func stop(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	return reap(t, pid)
}

func reap(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if wpid == pid {
			return ws
		}
		if err != nil {
			t.Fatalf("wait4 %d: %v", pid, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("daemon %d did not exit within 10s", pid)
	return 0
}

func fileContains(path, s string) bool {
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}

// TestDetachFacts checks every daemon(7) property of the final daemon in
// /proc, for a launcher started under nohup with signals blocked and with a
// leaked descriptor.
//
// With signal 32 ignored as well (a signal the Go runtime leaves alone), the
// launcher cannot start the daemon clean, and the daemon re-executes itself
// in place to clean its state: the facts are the same.
func TestDetachFacts(t *testing.T) {
	for _, mode := range []struct {
		name          string
		skip, unclean bool
	}{
		{name: "two-stage"},
		{name: "skip-second-fork", skip: true},
		{name: "two-stage/ignored-32", unclean: true},
		{name: "skip-second-fork/ignored-32", skip: true, unclean: true},
	} {
		skip := mode.skip
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			pidPath, logPath := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
			leaked, err := os.Create(filepath.Join(dir, "leaked-descriptor"))
			if err != nil {
				t.Fatal(err)
			}
			defer leaked.Close()
			cmd := exec.Command("/proc/self/exe")
			cmd.Args = []string{"testd"}
			cmd.Env = testexec.Environ("blocked-exec", "TEST_PIDFILE="+pidPath, "TEST_LOG="+logPath,
				"TEST_LAUNCHER_FACTS="+filepath.Join(dir, "launcher"), "TEST_CHILD_FACTS="+filepath.Join(dir, "child"))
			if skip {
				cmd.Env = append(cmd.Env, "TEST_SKIP_SECOND_FORK=1")
			}
			if mode.unclean {
				cmd.Env = append(cmd.Env, "TEST_IGNORE_32=1")
			}
			cmd.ExtraFiles = []*os.File{leaked} // fd 3 in the launcher, without close-on-exec
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("launcher: %v\n%s", err, out)
			}
			pid := daemonPID(t, pidPath)
			if want := "ready pid " + strconv.Itoa(pid); !strings.Contains(string(out), want) {
				t.Errorf("launcher output %q lacks %q", out, want)
			}

			// The launcher really was started with blocked and ignored signals.
			lf := readStatus(t, filepath.Join(dir, "launcher"))
			if statusField(lf, "SigIgn") == "0000000000000000" {
				t.Fatalf("test setup: launcher did not ignore SIGHUP:\n%s", lf)
			}
			if ign, _ := strconv.ParseUint(statusField(lf, "SigIgn"), 16, 64); mode.unclean && ign&(1<<31) == 0 {
				t.Fatalf("test setup: launcher did not ignore signal 32:\n%s", lf)
			}
			st := readStat(t, pid)
			launcherStat := parseStat(t, strings.SplitN(lf, "\n", 2)[0])
			if skip {
				if st.session != pid {
					t.Errorf("session id %d, want %d (session leader without second fork)", st.session, pid)
				}
			} else if st.session == pid {
				t.Errorf("daemon %d is a session leader", pid)
			}
			if st.session == launcherStat.session {
				t.Errorf("daemon shares the launcher's session %d", st.session)
			}
			if st.ttyNr != 0 {
				t.Errorf("tty_nr = %d, want 0", st.ttyNr)
			}
			if st.ppid == launcherStat.pid {
				t.Errorf("parent is still the launcher")
			}

			// Its name is the program's, as ps -C, pgrep -x and
			// start-stop-daemon --name look for it, in every thread:
			// not "exe", after /proc/self/exe that it was executed as.
			comms, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/comm")
			if len(comms) == 0 {
				t.Errorf("no threads of %d", pid)
			}
			for _, c := range append(comms, "/proc/"+strconv.Itoa(pid)+"/comm") {
				if got := strings.TrimSpace(readStatus(t, c)); got != "testd" {
					t.Errorf("%s: %q, want testd", c, got)
				}
			}
			if argv, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); !bytes.HasPrefix(argv, []byte("testd\x00")) {
				t.Errorf("argv %q, want argv[0] testd", argv)
			}

			status := readStatus(t, "/proc/"+strconv.Itoa(pid)+"/status")
			if got := statusField(status, "Umask"); got != "0022" {
				t.Errorf("umask %s, want 0022", got)
			}
			if got := statusField(status, "SigIgn"); got != "0000000000000000" {
				t.Errorf("SigIgn %s, want none", got)
			}
			// A Go program dedicates one thread to signal delivery, which
			// blocks what it does not handle; a signal is blocked for the
			// process only if every thread blocks it.
			all := ^uint64(0)
			tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
			for _, task := range tasks {
				v, _ := strconv.ParseUint(statusField(readStatus(t, task), "SigBlk"), 16, 64)
				all &= v
			}
			if all != 0 {
				t.Errorf("signals blocked in every thread: %016x", all)
			}
			// A child of the daemon starts with a clean signal state: this
			// is where an inherited mask would show.
			cf := readStatus(t, filepath.Join(dir, "child"))
			if statusField(cf, "SigBlk") != "0000000000000000" || statusField(cf, "SigIgn") != "0000000000000000" {
				t.Errorf("daemon's child: SigBlk %s SigIgn %s, want none", statusField(cf, "SigBlk"), statusField(cf, "SigIgn"))
			}

			if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); cwd != "/" {
				t.Errorf("cwd %q, want /", cwd)
			}
			fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
			for _, e := range fds {
				target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + e.Name())
				fd, _ := strconv.Atoi(e.Name())
				switch {
				case fd == 0 && target != "/dev/null":
					t.Errorf("stdin is %s", target)
				case (fd == 1 || fd == 2) && target != logPath:
					t.Errorf("fd %d is %s, want the log", fd, target)
				case fd > 2 && target == pidPath: // the pidfile's lock
				case fd > 2 && (strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "/sys/fs/cgroup/")):
					// the Go runtime's own: netpoller, cgroup CPU limit files
				case fd > 2:
					t.Errorf("unexpected descriptor %d -> %s", fd, target)
				}
			}
			env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
			if bytes.Contains(env, []byte("TEND_DAEMON")) {
				t.Errorf("environment has a stage marker: %q", env)
			}
			if got, _ := os.ReadFile(pidPath); string(got) != strconv.Itoa(pid)+"\n" {
				t.Errorf("pidfile content %q", got)
			}
			if held, _, _ := pidfile.Locked(pidPath); !held {
				t.Errorf("pidfile not locked while the daemon runs")
			}
			testexec.WaitFor(t, 10*time.Second, "serving in log", func() bool { return fileContains(logPath, "serving") })

			// SIGHUP reaches the daemon's Hangup channel; SIGTERM stops it
			// cleanly and removes the pidfile.
			unix.Kill(pid, unix.SIGHUP)
			testexec.WaitFor(t, 10*time.Second, "hangup in log", func() bool { return fileContains(logPath, "hangup") })
			ws := stop(t, pid)
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Errorf("daemon ended with %v, want exit 0", ws)
			}
			if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
				t.Errorf("pidfile left behind after clean exit: %v", err)
			}
		})
	}
}

// TestDetachFromTerminal launches from a real pseudo-terminal that is the
// launcher's controlling terminal, and checks the daemon has none.
func TestDetachFromTerminal(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "d.pid")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	defer ptmx.Close()
	cmd := launcher("TEST_PIDFILE="+pidPath, "TEST_LAUNCHER_FACTS="+filepath.Join(dir, "launcher"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	output := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 1024)
		for {
			n, err := ptmx.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		output <- b.String()
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("launcher: %v", err)
	}
	lf := readStatus(t, filepath.Join(dir, "launcher"))
	if ls := parseStat(t, strings.SplitN(lf, "\n", 2)[0]); ls.ttyNr == 0 {
		t.Fatalf("test setup: launcher had no controlling terminal")
	}
	pid := daemonPID(t, pidPath)
	defer stop(t, pid)
	if st := readStat(t, pid); st.ttyNr != 0 || st.session == pid {
		t.Errorf("daemon tty_nr %d session %d (pid %d): want no terminal, not a session leader", st.ttyNr, st.session, pid)
	}
	ptmx.SetReadDeadline(time.Now().Add(5 * time.Second))
	if out := <-output; !strings.Contains(out, "ready pid "+strconv.Itoa(pid)) {
		t.Errorf("terminal shows %q", out)
	}
}

func TestStartupErrorsReachLauncher(t *testing.T) {
	tests := []struct {
		mode     string
		wantErr  []string
		wantLog  string
		timeout  string
		wantGone bool
	}{
		{mode: "fail", wantErr: []string{"testd: cannot listen on 127.0.0.1:1: address already in use"}},
		{mode: "exit3", wantErr: []string{"fatal: config file /nonexistent", "exited before it was ready: exit status 3"}, wantLog: "fatal: config file"},
		{mode: "kill", wantErr: []string{"killed by signal SIGKILL"}},
		{mode: "never", timeout: "300ms", wantErr: []string{"not ready after 300ms; stopped it"}},
	}
	for _, tt := range tests {
		for _, skip := range []string{"", "skip-second-fork"} {
			t.Run(tt.mode+"/"+skip, func(t *testing.T) { testStartupError(t, tt.mode, tt.timeout, skip != "", tt.wantErr, tt.wantLog) })
		}
	}
}

func testStartupError(t *testing.T, mode, timeout string, skip bool, wantErr []string, wantLog string) {
	{
		{
			dir := t.TempDir()
			pidPath, logPath := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
			env := []string{"TEST_MODE=" + mode, "TEST_PIDFILE=" + pidPath, "TEST_LOG=" + logPath}
			if timeout != "" {
				env = append(env, "TEST_READY_TIMEOUT="+timeout)
			}
			if skip {
				env = append(env, "TEST_SKIP_SECOND_FORK=1")
			}
			began := time.Now()
			code, out, errOut := run(t, env...)
			// The verdict comes as soon as the daemon is gone, not after a
			// grace period (the timeout case waits for its 300ms).
			if took := time.Since(began); took > 1500*time.Millisecond {
				t.Errorf("launcher took %v to report", took)
			}
			if code != 1 {
				t.Errorf("exit code %d, want 1 (stdout %q)", code, out)
			}
			for _, w := range wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if wantLog != "" && !fileContains(logPath, wantLog) {
				t.Errorf("log lacks %q", wantLog)
			}
			if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
				t.Errorf("pidfile left behind: %v", err)
			}
		}
	}
}

func TestPidfileExclusive(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "d.pid")
	if code, _, errOut := run(t, "TEST_PIDFILE="+pidPath); code != 0 {
		t.Fatalf("first start: exit %d: %s", code, errOut)
	}
	pid := daemonPID(t, pidPath)
	code, _, errOut := run(t, "TEST_PIDFILE="+pidPath)
	if code != 1 || !strings.Contains(errOut, "already running as pid "+strconv.Itoa(pid)) {
		t.Errorf("second start: exit %d, stderr %q; want 1 naming pid %d", code, errOut, pid)
	}
	// A daemon killed with SIGKILL leaves its pidfile, which must not
	// block the next start.
	unix.Kill(pid, unix.SIGKILL)
	reap(t, pid)
	if _, err := os.Stat(pidPath); err != nil {
		t.Fatalf("expected a stale pidfile after SIGKILL: %v", err)
	}
	if code, _, errOut := run(t, "TEST_PIDFILE="+pidPath); code != 0 {
		t.Fatalf("start over a stale pidfile: exit %d: %s", code, errOut)
	}
	pid2 := daemonPID(t, pidPath)
	if pid2 == pid {
		t.Errorf("pidfile still names the dead pid")
	}
	stop(t, pid2)
}

func TestPidfileSymlinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	os.WriteFile(target, []byte("precious\n"), 0o600)
	pidPath := filepath.Join(dir, "d.pid")
	os.Symlink(target, pidPath)
	code, _, errOut := run(t, "TEST_PIDFILE="+pidPath)
	if code == 0 {
		t.Fatalf("start through a symlinked pidfile succeeded")
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("symlink target changed to %q", b)
	}
	if !strings.Contains(errOut, "d.pid") {
		t.Errorf("error does not name the pidfile: %q", errOut)
	}
}

func TestDropPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	dir := t.TempDir()
	// So that nobody may remove its pidfile at exit.
	os.Chmod(filepath.Dir(dir), 0o711)
	os.Chmod(dir, 0o777)
	pidPath, logPath := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
	code, _, errOut := run(t, "TEST_PIDFILE="+pidPath, "TEST_LOG="+logPath, "TEST_USER=nobody")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	pid := daemonPID(t, pidPath)
	status := readStatus(t, "/proc/"+strconv.Itoa(pid)+"/status")
	uid, gid := nobody.Uid, nobody.Gid
	if got := strings.Fields(statusField(status, "Uid")); len(got) != 4 || got[0] != uid || got[1] != uid || got[2] != uid || got[3] != uid {
		t.Errorf("Uid %v, want all %s", got, uid)
	}
	if got := strings.Fields(statusField(status, "Gid")); len(got) != 4 || got[0] != gid || got[2] != gid {
		t.Errorf("Gid %v, want %s", got, gid)
	}
	if groups := statusField(status, "Groups"); strings.Contains(" "+groups+" ", " 0 ") {
		t.Errorf("still in group root: %q", groups)
	}
	for _, p := range []string{pidPath, logPath} {
		var st unix.Stat_t
		unix.Stat(p, &st)
		if strconv.Itoa(int(st.Uid)) != uid {
			t.Errorf("%s owned by uid %d, want %s", p, st.Uid, uid)
		}
	}
	stop(t, pid)
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("unprivileged daemon left its pidfile: %v", err)
	}
}

func TestForeground(t *testing.T) {
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "notify.sock")
	conn, err := unixgramListen(sockPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pidPath := filepath.Join(dir, "d.pid")
	cmd := launcher("TEST_PIDFILE="+pidPath, "NOTIFY_SOCKET="+sockPath)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	want := "READY=1\nMAINPID=" + strconv.Itoa(cmd.Process.Pid)
	if string(buf[:n]) != want {
		t.Errorf("notification %q, want %q", buf[:n], want)
	}
	// It did not detach: the pidfile names the process we started.
	if pid := daemonPID(t, pidPath); pid != cmd.Process.Pid {
		t.Errorf("pidfile names %d, want the foreground process %d", pid, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("foreground exit: %v", err)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind")
	}
}

func TestForegroundByEnv(t *testing.T) {
	for _, env := range []string{"TEND_FOREGROUND=1", "INVOCATION_ID=abc", "TEST_FOREGROUND=1"} {
		t.Run(env, func(t *testing.T) {
			pidPath := filepath.Join(t.TempDir(), "d.pid")
			cmd := launcher("TEST_PIDFILE="+pidPath, env)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			testexec.WaitFor(t, 10*time.Second, "pidfile", func() bool { _, err := pidfile.Read(pidPath); return err == nil })
			if pid := daemonPID(t, pidPath); pid != cmd.Process.Pid {
				t.Errorf("detached although %s: pid %d, started %d", env, pid, cmd.Process.Pid)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
	}
}

// TestServiceManagerForking: under systemd (INVOCATION_ID, and
// NOTIFY_SOCKET where the unit has NotifyAccess=) the program stays in
// the foreground, unless TEND_FOREGROUND=0 says the unit is of
// Type=forking: then it detaches, and tells NOTIFY_SOCKET the daemon's
// pid. Config.Foreground (the program's own -foreground) still wins.
func TestServiceManagerForking(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    []string
		notify bool // with NOTIFY_SOCKET
		detach bool
	}{
		{"INVOCATION_ID", []string{"INVOCATION_ID=abc"}, false, false},
		{"INVOCATION_ID+TEND_FOREGROUND=0", []string{"INVOCATION_ID=abc", "TEND_FOREGROUND=0"}, false, true},
		{"NOTIFY_SOCKET+TEND_FOREGROUND=0", []string{"INVOCATION_ID=abc", "TEND_FOREGROUND=0"}, true, true},
		{"TEND_FOREGROUND=0+Config.Foreground", []string{"INVOCATION_ID=abc", "TEND_FOREGROUND=0", "TEST_FOREGROUND=1"}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pidPath := filepath.Join(dir, "d.pid")
			env := append([]string{"TEST_PIDFILE=" + pidPath}, tt.env...)
			var conn *net.UnixConn
			if tt.notify {
				var err error
				sockPath := filepath.Join(dir, "notify.sock")
				if conn, err = unixgramListen(sockPath); err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				env = append(env, "NOTIFY_SOCKET="+sockPath)
			}
			cmd := launcher(env...)
			if !tt.detach {
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				testexec.WaitFor(t, 10*time.Second, "pidfile", func() bool { _, err := pidfile.Read(pidPath); return err == nil })
				if pid := daemonPID(t, pidPath); pid != cmd.Process.Pid {
					t.Errorf("detached: pid %d, started %d", pid, cmd.Process.Pid)
				}
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
				return
			}
			// What systemd's Type=forking waits for: the process it
			// started exits 0, and the pidfile names the daemon.
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("launcher did not exit 0 with the daemon ready: %v\n%s", err, out.String())
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("launcher still runs after 20s: it stayed in the foreground\n%s", out.String())
			}
			pid := daemonPID(t, pidPath)
			defer stop(t, pid)
			if pid == cmd.Process.Pid || !strings.Contains(out.String(), "ready pid "+strconv.Itoa(pid)) {
				t.Errorf("pidfile names %d, launcher was %d, said %q", pid, cmd.Process.Pid, out.String())
			}
			if st := readStat(t, pid); st.session == pid || st.session == cmd.Process.Pid {
				t.Errorf("daemon %d not detached: session %d", pid, st.session)
			}
			if conn != nil {
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 256)
				n, err := conn.Read(buf)
				if want := "READY=1\nMAINPID=" + strconv.Itoa(pid); err != nil || string(buf[:n]) != want {
					t.Errorf("notification %q (%v), want %q", buf[:n], err, want)
				}
			}
		})
	}
}

// TestForegroundReasonOverride: TEND_FOREGROUND=0 overrides the service
// manager's variables, not handed sockets, where the detached daemon
// would not find them.
func TestForegroundReasonOverride(t *testing.T) {
	t.Setenv("TEND_FOREGROUND", "0")
	t.Setenv("INVOCATION_ID", "abc")
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	if r := daemon.ForegroundReason(daemon.Config{}); r != "" {
		t.Errorf("with TEND_FOREGROUND=0 under systemd: %q, want to detach", r)
	}
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	if r := daemon.ForegroundReason(daemon.Config{}); r == "" {
		t.Errorf("handed sockets, with TEND_FOREGROUND=0: detaches, want the foreground")
	}
	t.Setenv("INVOCATION_ID", "")
	t.Setenv("NOTIFY_SOCKET", "")
	if r := daemon.ForegroundReason(daemon.Config{}); !strings.Contains(r, "LISTEN_PID") {
		t.Errorf("handed sockets, with TEND_FOREGROUND=0: %q, want the foreground for LISTEN_PID", r)
	}
}

func TestExtraFilesAndUmask(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra")
	os.WriteFile(extra, []byte("hello"), 0o600)
	pidPath, logPath := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
	cmd := launcher("TEST_PIDFILE="+pidPath, "TEST_LOG="+logPath, "TEST_EXTRA_FILE="+extra, "TEST_UMASK=027", "TEST_REL=rel.txt")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("launcher: %v: %s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rel.txt")); err != nil || string(b) != "written by the daemon\n" {
		t.Errorf("relative path resolved elsewhere: %v %q", err, b)
	}
	pid := daemonPID(t, pidPath)
	defer stop(t, pid)
	testexec.WaitFor(t, 10*time.Second, "extra file line", func() bool { return fileContains(logPath, `extra file says "hello"`) })
	if got := statusField(readStatus(t, "/proc/"+strconv.Itoa(pid)+"/status"), "Umask"); got != "0027" {
		t.Errorf("umask %s, want 0027", got)
	}
}

// TestDetachStrayDescriptors opens a descriptor without O_CLOEXEC before
// Detach, in every stage (the code before Detach runs in each): the daemon
// holds its own, and none of the launcher's or the session leader's, whose
// stray descriptors would otherwise cross their fork and exec. It also
// holds exactly what it should besides: stdio, the pidfile and
// Config.ExtraFiles.
func TestDetachStrayDescriptors(t *testing.T) {
	for _, mode := range []struct {
		name          string
		skip, unclean bool
	}{
		{name: "two-stage"},
		{name: "skip-second-fork", skip: true},
		{name: "two-stage/ignored-32", unclean: true}, // the daemon stage re-executes in place
	} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			pidPath, logPath, extraPath := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log"), filepath.Join(dir, "extra")
			if err := os.WriteFile(extraPath, []byte("extra"), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/proc/self/exe")
			cmd.Args = []string{"testd"}
			cmd.Env = testexec.Environ("blocked-exec", "TEST_PIDFILE="+pidPath, "TEST_LOG="+logPath,
				"TEST_STRAY_DIR="+dir, "TEST_EXTRA_FILE="+extraPath)
			if mode.skip {
				cmd.Env = append(cmd.Env, "TEST_SKIP_SECOND_FORK=1")
			}
			if mode.unclean {
				cmd.Env = append(cmd.Env, "TEST_IGNORE_32=1")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("launcher: %v\n%s", err, out)
			}
			pid := daemonPID(t, pidPath)
			defer stop(t, pid)
			strays, _ := filepath.Glob(filepath.Join(dir, "stray-*"))
			want := 3 // launcher, session leader, daemon; with ignored-32 the daemon twice
			if mode.skip {
				want = 2
			}
			if mode.unclean {
				want = 4
			}
			if len(strays) != want {
				t.Fatalf("test setup: %d stages opened a stray descriptor (%v), want %d", len(strays), strays, want)
			}

			own := "stray-" + strconv.Itoa(pid) + "-"
			var held []string
			fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
			for _, e := range fds {
				target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + e.Name())
				fd, _ := strconv.Atoi(e.Name())
				held = append(held, e.Name()+" -> "+target)
				switch {
				case fd == 0 && target == "/dev/null":
				case (fd == 1 || fd == 2) && target == logPath:
				case fd == 4 && target == pidPath, fd == 5 && target == extraPath: // the layout's
				case fd > 5 && target == extraPath:
					// The daemon's own open of it, before Detach, in its
					// own run: a program's descriptor, not an inherited one.
				case fd > 2 && strings.HasPrefix(filepath.Base(target), "stray-"):
					if !strings.HasPrefix(filepath.Base(target), own) {
						t.Errorf("descriptor %d -> %s: another stage's stray descriptor reached the daemon (pid %d)", fd, target, pid)
					}
				case fd > 2 && (strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "/sys/fs/cgroup/")):
					// the Go runtime's own: netpoller, cgroup CPU limit files
				default:
					t.Errorf("unexpected descriptor %d -> %s", fd, target)
				}
			}
			if n := strings.Count(strings.Join(held, "\n"), own); n != 1 {
				t.Errorf("daemon holds %d stray descriptors of its own, want the 1 it opened: %q", n, held)
			}
			if !slices.Contains(held, "4 -> "+pidPath) || !slices.Contains(held, "5 -> "+extraPath) {
				t.Errorf("daemon lacks the pidfile on fd 4 or the extra file on fd 5: %q", held)
			}
		})
	}
}
