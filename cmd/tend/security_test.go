package main

// The security suite: planted symbolic links, oversized input, and privacy
// between users (see RELIABILITY.md).

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// helperProbe tries to read each file in PROBE_FILES (colon-separated) and
// to talk to the control socket PROBE_SOCKET, printing one line per try:
// "probe read PATH: ok" or "probe read PATH: denied: ERR". With
// PROBE_PARENT it also tries its parent's /proc environ. With PROBE_WAIT it
// then waits (as a daemon), else it exits.
func helperProbe([]string) int {
	files := strings.Split(os.Getenv("PROBE_FILES"), ":")
	if os.Getenv("PROBE_PARENT") != "" {
		files = append(files, fmt.Sprintf("/proc/%d/environ", os.Getppid()))
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if _, err := os.ReadFile(f); err != nil {
			fmt.Printf("probe read %s: denied: %v\n", f, err)
		} else {
			fmt.Printf("probe read %s: ok\n", f)
		}
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			fmt.Printf("probe write %s: denied: %v\n", f, err)
		} else {
			fh.Close()
			fmt.Printf("probe write %s: ok\n", f)
		}
	}
	if sock := os.Getenv("PROBE_SOCKET"); sock != "" {
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			}}}
		resp, err := hc.Post("http://tend/v1/daemons/secret/stop", "application/json", nil)
		switch {
		case err != nil:
			fmt.Printf("probe call %s: denied: %v\n", sock, err)
		case resp.StatusCode != http.StatusOK:
			b, _ := io.ReadAll(resp.Body)
			fmt.Printf("probe call %s: denied: %s\n", sock, b)
		default:
			fmt.Printf("probe call %s: ok\n", sock)
		}
	}
	fmt.Println("probe done")
	if os.Getenv("PROBE_WAIT") != "" {
		select {}
	}
	return 0
}

// nobody is the unprivileged user the privacy tests run processes as, with
// copies of the test binary and of tend it can execute.
type nobody struct {
	cred    *syscall.Credential
	testBin string
	tendBin string
}

func asNobody(t *testing.T) *nobody {
	t.Helper()
	cred, dir := testexec.Nobody(t)
	return &nobody{cred: cred, testBin: testexec.CopyExecutable(t, testBin, dir), tendBin: testexec.CopyExecutable(t, tendBin, dir)}
}

// run runs the command as nobody and returns its combined output.
func (n *nobody) run(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: n.cred}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s as nobody: %v", name, err)
	}
	return string(out), code
}

// expectDenied checks that every probe line in out says denied, and that
// there was at least one.
func expectDenied(t *testing.T, who, out string) {
	t.Helper()
	lines := 0
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "probe "); i >= 0 && !strings.Contains(line, "probe done") {
			lines++
			if !strings.Contains(line, ": denied: ") {
				t.Errorf("%s: %s", who, line[i:])
			}
		}
	}
	if lines == 0 || !strings.Contains(out, "probe done") {
		t.Errorf("%s: the probe did not run:\n%s", who, out)
	}
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestStatePrivacy checks the modes of everything tend creates.
func TestStatePrivacy(t *testing.T) {
	e := newEnv(t)
	home := filepath.Join(e.home, "state") // one tend creates itself
	e.home = home
	e.mustStart("p", "sleep")
	defer e.tend("stop", "p")
	folder := filepath.Join(home, "p")
	want := map[string]fs.FileMode{
		home:                                     fs.ModeDir | 0o700,
		folder:                                   fs.ModeDir | 0o700,
		filepath.Join(folder, "definition.json"): 0o600,
		filepath.Join(folder, "status.json"):     0o600,
		filepath.Join(folder, "output.log"):      0o640,
		filepath.Join(folder, "events.log"):      0o640,
		filepath.Join(folder, "supervisor.pid"):  0o644, // informational; the folder guards it
		filepath.Join(home, "tend.sock"):         fs.ModeSocket | 0o600,
		filepath.Join(home, "host.pid"):          0o644,
		filepath.Join(home, "host.log"):          0o640,
	}
	for path, m := range want {
		if got := perm(t, path); got != m {
			t.Errorf("%s: mode %v, want %v", path, got, m)
		}
	}
	entries, _ := os.ReadDir(folder)
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".") && strings.Contains(de.Name(), ".tmp-") {
			continue // a record being written (atomically: renamed into place)
		}
		if _, ok := want[filepath.Join(folder, de.Name())]; !ok {
			t.Errorf("unexpected file %s (mode %v)", de.Name(), perm(t, filepath.Join(folder, de.Name())))
		}
	}
}

// TestOtherUserRefused runs tend and a raw control client as nobody
// against root's daemon: the folder's mode stops them, and with the modes
// opened up on purpose, the supervisor's peer-credential check still does.
func TestOtherUserRefused(t *testing.T) {
	n := asNobody(t)
	e := newEnv(t)
	pid := e.mustStart("secret", "sleep", "--env", "API_KEY=hunter2")
	folder := filepath.Join(e.home, "secret")
	sock := filepath.Join(e.home, "tend.sock")
	files := []string{filepath.Join(folder, "definition.json"), filepath.Join(folder, "status.json"),
		filepath.Join(folder, "output.log"), filepath.Join(folder, "events.log"), fmt.Sprintf("/proc/%d/environ", pid)}
	probeEnv := []string{helperEnv + "=probe", "PROBE_FILES=" + strings.Join(files, ":"), "PROBE_SOCKET=" + sock}

	// 1. As tend leaves them: the 0700 folders deny everything.
	out, _ := n.run(t, probeEnv, n.testBin)
	expectDenied(t, "nobody, default modes", out)
	for _, args := range [][]string{{"status", "secret"}, {"stop", "secret"}, {"signal", "secret", "KILL"}, {"list", "--json"}} {
		out, code := n.run(t, []string{"TEND_HOME=" + e.home}, n.tendBin, args...)
		if code == 0 || strings.Contains(out, "hunter2") {
			t.Errorf("tend %v as nobody: exit %d: %s", args, code, out)
		}
	}

	// 2. Folders and socket opened to everyone: peer credentials refuse.
	for _, p := range []string{e.home, folder} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	out, _ = n.run(t, probeEnv, n.testBin)
	expectDenied(t, "nobody, opened modes", out)
	if !strings.Contains(out, "permission denied: uid 65534 may not use the host") {
		t.Errorf("the host did not refuse nobody by its credentials:\n%s", out)
	}
	for _, p := range []string{e.home, folder} {
		os.Chmod(p, 0o700)
	}
	if !alive(pid) {
		t.Fatal("nobody stopped root's daemon")
	}
	if s, code := e.status("secret"); code != 0 || s.PID != pid {
		t.Errorf("status after the attempts: %d %+v", code, s)
	}
}

// TestChildAsNobodyCannotTouchState starts a daemon with --user nobody
// that tries to read and write its supervisor's state, talk to its control
// socket, and read its supervisor's environment.
func TestChildAsNobodyCannotTouchState(t *testing.T) {
	n := asNobody(t)
	e := newEnv(t)
	folder := filepath.Join(e.home, "drop")
	files := []string{filepath.Join(folder, "definition.json"), filepath.Join(folder, "status.json"),
		filepath.Join(folder, "output.log"), filepath.Join(folder, "events.log"), filepath.Join(folder, "supervisor.pid")}
	r := e.tend("start", "drop", "--user", "nobody", "--env", helperEnv+"=probe", "--env", "PROBE_WAIT=1",
		"--env", "PROBE_PARENT=1", "--env", "PROBE_FILES="+strings.Join(files, ":"),
		"--env", "PROBE_SOCKET="+filepath.Join(folder, "control.sock"), "--", n.testBin)
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	var out string
	eventually(t, "the probe's report", func() bool {
		out = e.tend("logs", "-n", "100", "drop").stdout
		return strings.Contains(out, "probe done")
	})
	expectDenied(t, "a child running as nobody", out)
	if s, code := e.status("drop"); code != 0 || s.State != "running" {
		t.Errorf("status: %d %+v", code, s)
	}
}

// TestLogsNotWorldReadable checks a log at a path given with --log.
func TestLogsNotWorldReadable(t *testing.T) {
	e := newEnv(t)
	log := filepath.Join(t.TempDir(), "app.log")
	e.mustStart("l", "sleep", "--log", log)
	if m := perm(t, log); m.Perm()&0o007 != 0 {
		t.Errorf("--log file mode %v: readable by others", m)
	}
}

// TestSymlinksNotFollowed plants a symbolic link at each path tend
// creates, pointing at a file (or a free name) in a directory of the
// test's: tend never writes through it.
func TestSymlinksNotFollowed(t *testing.T) {
	inFolder := []string{"output.log", "events.log", "supervisor.pid", "status.json", "definition.json"}
	for _, name := range inFolder {
		for _, exists := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/target-exists=%v", name, exists), func(t *testing.T) {
				e := newEnv(t)
				folder := filepath.Join(e.home, "s")
				if err := os.Mkdir(folder, 0o700); err != nil {
					t.Fatal(err)
				}
				check := plant(t, filepath.Join(folder, name), exists)
				r := e.start("s", "sleep")
				check(r)
				switch name {
				case "status.json", "definition.json":
					// Replaced atomically by rename, which does not follow.
					if r.code != 0 {
						t.Errorf("start: %v", r)
					}
					if m := perm(t, filepath.Join(folder, name)); !m.IsRegular() {
						t.Errorf("%s is %v after start", name, m)
					}
				default:
					if r.code == 0 {
						t.Errorf("start through a planted %s succeeded: %v", name, r)
					}
					for _, pid := range e.notedPIDs("running") {
						if alive(pid) {
							t.Errorf("a child %d runs after the failed start", pid)
						}
					}
				}
			})
		}
	}
	for _, name := range []string{"host.log", "host.pid", "tend.sock"} {
		t.Run("home/"+name, func(t *testing.T) {
			e := newEnv(t)
			check := plant(t, filepath.Join(e.home, name), true)
			r := e.start("s", "sleep")
			check(r)
			if r.code == 0 {
				t.Errorf("start with a planted %s in the home succeeded: %v", name, r)
			}
		})
	}
	t.Run("log option", func(t *testing.T) {
		e := newEnv(t)
		link := filepath.Join(t.TempDir(), "app.log")
		check := plant(t, link, true)
		r := e.start("s", "sleep", "--log", link)
		check(r)
		if r.code == 0 {
			t.Errorf("start with --log at a symlink: %v", r)
		}
	})
	t.Run("daemon folder", func(t *testing.T) {
		e := newEnv(t)
		victim := t.TempDir()
		if err := os.Symlink(victim, filepath.Join(e.home, "s")); err != nil {
			t.Fatal(err)
		}
		r := e.start("s", "sleep")
		if r.code == 0 || !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("start with the folder a symlink: %v", r)
		}
		if entries, _ := os.ReadDir(victim); len(entries) != 0 {
			t.Errorf("tend wrote into the link's target: %v", entries)
		}
	})
	t.Run("TEND_HOME", func(t *testing.T) {
		e := newEnv(t)
		real := e.home
		e.home = filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(real, e.home); err != nil {
			t.Fatal(err)
		}
		r := e.start("s", "sleep")
		if r.code == 0 || !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("start with TEND_HOME a symlink: %v", r)
		}
		if entries, _ := os.ReadDir(real); len(entries) != 0 {
			t.Errorf("tend wrote into the link's target: %v", entries)
		}
	})
}

// plant makes path a symbolic link into a fresh directory, at a file with
// known content or at a free name, and returns a check that the target
// directory is exactly as it was and the error (if any) is clear.
func plant(t *testing.T, path string, exists bool) func(result) {
	victimDir := t.TempDir()
	target := filepath.Join(victimDir, "victim")
	if exists {
		if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	return func(r result) {
		t.Helper()
		entries, _ := os.ReadDir(victimDir)
		switch {
		case exists && len(entries) != 1, !exists && len(entries) != 0:
			t.Errorf("files in the link's directory changed: %v", entries)
		}
		if exists {
			b, _ := os.ReadFile(target)
			if string(b) != "precious\n" || perm(t, target) != 0o600 {
				t.Errorf("the link's target was changed: %q, mode %v", b, perm(t, target))
			}
		}
		if r.code != 0 && !strings.Contains(r.stderr, filepath.Base(path)) {
			t.Errorf("the error does not name %s: %v", filepath.Base(path), r)
		}
	}
}

// TestOversizedInputs checks that input too large for tend to keep is
// refused up front with a usage error, rather than stored and found
// unreadable later.
func TestOversizedInputs(t *testing.T) {
	e := newEnv(t)
	if r := e.start(strings.Repeat("n", 65), "sleep"); r.code != 2 || !strings.Contains(r.stderr, "more than 64") {
		t.Errorf("65-byte name: %v", r)
	}
	big := strings.Repeat("x", 100<<10)
	var args []string
	for range 12 { // 1.2 MB of arguments, more than a record may hold
		args = append(args, big)
	}
	r := e.tend(append(append([]string{"start", "big"}, e.helper("sleep")...), args...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "too large") {
		t.Errorf("start with 1.2 MB of arguments: %v", r)
	}
	if _, err := os.Stat(filepath.Join(e.home, "big", "status.json")); err == nil {
		t.Errorf("a record was written for a refused start")
	}
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("A="+strings.Repeat("y", 2<<20)+"\n"), 0o600)
	if r := e.start("bigenv", "sleep", "--env-file", envFile); r.code == 0 || !strings.Contains(r.stderr, "larger than") {
		t.Errorf("start with a 2 MiB env file: %v", r)
	}
}
