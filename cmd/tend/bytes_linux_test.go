package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tendhq/tend/internal/rawstr"
)

// TestBytesNotUTF8 (issue 25.8): arguments, an --env value and a --dir
// that are not UTF-8 reach the daemon byte for byte (its
// /proc/PID/cmdline, environ, cwd and the file it opened), after a
// restart and a takeover by a new host (both read definition.json), and
// through the API: the view's command, and a definition posted with a
// base64 argument.
func TestBytesNotUTF8(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "d\xe8r")
	file := "caf\xe9.txt"
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, file), "hello\n")
	value := "\xff\xfe\x80"
	command := []string{"tail", "-f", "--", file}
	check := func(when string, pid int) {
		t.Helper()
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if got := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"); !slices.Equal(got, command) {
			t.Errorf("%s: the daemon's arguments %q; expected %q", when, got, command)
		}
		environ, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if !slices.Contains(strings.Split(string(environ), "\x00"), "V="+value) {
			t.Errorf("%s: V=%q not in the daemon's environment", when, value)
		}
		if cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); cwd != dir {
			t.Errorf("%s: the daemon's working directory %q, %v; expected %q", when, cwd, err, dir)
		}
		eventually(t, "the daemon to open "+file, func() bool { return opened(pid, filepath.Join(dir, file)) })
	}
	pid := e.mustStartCmd("bytes", append([]string{"--dir", dir, "--env", "V=" + value, "--"}, command...)...)
	check("after the start", pid)
	if r := e.tend("restart", "bytes"); r.code != 0 {
		t.Fatalf("restart: %v", r)
	}
	s, _ := e.status("bytes")
	check("after a restart", s.PID)
	var out struct {
		Command []json.RawMessage `json:"command"`
	}
	r := e.tend("status", "--json", "bytes")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Command) != 4 ||
		compact(out.Command[0]) != `"tail"` || compact(out.Command[3]) != `{"base64":"Y2Fm6S50eHQ="}` {
		t.Errorf("status --json: the command %s, %v; expected tail as a string and %q as base64", out.Command, err, file)
	}

	// The API: the view carries the bytes; a definition posted with a
	// base64 argument starts with it.
	c := e.socketClient()
	code, body := call(t, c, http.MethodGet, "http://tend/v1/daemons/bytes", "", "")
	var view struct {
		Command rawstr.Strings `json:"command"`
	}
	if err := json.Unmarshal([]byte(body), &view); code != 200 || err != nil || !slices.Equal(view.Command, command) {
		t.Errorf("GET the view: %d %s; expected the command %q", code, body, command)
	}
	def := `{"name":"posted","command":["tail","-f","--",{"base64":"Y2Fm6S50eHQ="}],"dir":` + base64JSON(dir) +
		`,"env":["V=x"],"restart":"on-failure"}`
	code, body = call(t, c, http.MethodPost, "http://tend/v1/daemons", "", def)
	if code != 201 {
		t.Fatalf("POST a definition with base64 bytes: %d %s", code, body)
	}
	p, _ := e.status("posted")
	if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline"); string(cmdline) != "tail\x00-f\x00--\x00"+file+"\x00" {
		t.Errorf("the posted daemon's arguments %q", cmdline)
	}

	// A new host takes the daemons over from their records.
	s, _ = e.status("bytes")
	host := s.SupervisorPID
	syscall.Kill(host, syscall.SIGKILL)
	eventually(t, "a new host running it", func() bool {
		s, _ = e.status("bytes")
		return s.State == "running" && s.SupervisorPID != host && s.SupervisorPID > 0
	})
	if r := e.tend("restart", "bytes"); r.code != 0 {
		t.Fatalf("restart after the host's death: %v", r)
	}
	s, _ = e.status("bytes")
	check("after a new host's restart", s.PID)
}

// opened reports whether process pid has path open.
func opened(pid int, path string) bool {
	fds := "/proc/" + strconv.Itoa(pid) + "/fd/"
	entries, _ := os.ReadDir(fds)
	for _, en := range entries {
		if target, _ := os.Readlink(fds + en.Name()); target == path {
			return true
		}
	}
	return false
}

// compact is m without its spaces.
func compact(m json.RawMessage) string {
	var b bytes.Buffer
	json.Compact(&b, m)
	return b.String()
}

// base64JSON is s as rawstr writes a string that is not UTF-8.
func base64JSON(s string) string {
	b, _ := json.Marshal(struct {
		B []byte `json:"base64"`
	}{[]byte(s)})
	return string(b)
}
