package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Black-box tests of the host's API: HTTP on $TEND_HOME/tend.sock, as
// curl --unix-socket or a program would use it, and on TCP after tend api
// listen.

// socketClient is an HTTP client of the host's socket, a connection a
// request.
func (e *env) socketClient() *http.Client {
	sock := filepath.Join(e.home, "tend.sock")
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
}

// get sends a request and returns the status and body.
func call(t *testing.T, c *http.Client, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAPIEventsSeeRestart: the event stream of one daemon (?name=) gives
// its snapshot, then the restart that follows its crash, and nothing of
// another daemon.
func TestAPIEventsSeeRestart(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("crashy", "sleep", "--restart", "always")
	e.mustStart("other", "sleep")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://tend/v1/events?name=crashy", nil)
	resp, err := e.socketClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q", ct)
	}
	type event struct {
		Type   string `json:"type"`
		Name   string `json:"name"`
		Daemon *struct {
			State    string `json:"state"`
			PID      int    `json:"pid"`
			Restarts int    `json:"restarts"`
		} `json:"daemon"`
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() event {
		line, ok := <-lines
		if !ok {
			t.Fatal("the event stream ended")
		}
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		if ev.Name != "" && ev.Name != "crashy" {
			t.Errorf("an event of %s on crashy's stream: %s", ev.Name, line)
		}
		return ev
	}
	if ev := next(); ev.Type != "snapshot" || ev.Daemon == nil || ev.Daemon.PID != pid || ev.Daemon.State != "running" {
		t.Fatalf("first event: %+v, want crashy's snapshot, running as pid %d", ev, pid)
	}
	if ev := next(); ev.Type != "synced" {
		t.Fatalf("second event: %+v, want synced", ev)
	}
	// Nothing happens: the stream stays quiet (a record rewritten
	// unchanged is no change), also when someone asks for the daemons.
	call(t, e.socketClient(), "GET", "http://tend/v1/daemons", "", "")
	quiet := time.After(time.Second)
	for n := 0; ; n++ {
		select {
		case line := <-lines:
			if n >= 2 {
				t.Fatalf("events while nothing happens: %d, the last %s", n+1, line)
			}
			continue
		case <-quiet:
		}
		break
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for {
		ev := next()
		if ev.Type == "change" && ev.Daemon != nil && ev.Daemon.Restarts == 1 && ev.Daemon.State == "running" && ev.Daemon.PID != pid {
			break // restarted, as a new process
		}
	}
}

// TestAPILogs: GET /v1/daemons/NAME/logs gives the last lines as tend
// logs does, filters by stream, and with follow=1 every new line across
// many rotations, none lost or repeated.
func TestAPILogs(t *testing.T) {
	e := newEnv(t)
	e.mustStart("printer", "print", "--env", "TEST_LINES=50")
	eventually(t, "the 50 lines in the log", func() bool {
		_, body := call(t, e.socketClient(), "GET", "http://tend/v1/daemons/printer/logs?lines=1&stream=stdout", "", "")
		return strings.HasSuffix(body, " stdout line 50\n")
	})
	c := e.socketClient()
	code, body := call(t, c, "GET", "http://tend/v1/daemons/printer/logs?lines=3&stream=stderr", "", "")
	if code != 200 || strings.Count(body, "\n") != 3 || !strings.HasSuffix(body, " stderr err 50\n") {
		t.Errorf("lines=3&stream=stderr: %d %q", code, body)
	}
	if want := e.tend("logs", "-n", "20", "printer").stdout; !strings.HasSuffix(want, "\n") || get2(t, c, "http://tend/v1/daemons/printer/logs?lines=20") != want {
		t.Errorf("lines=20 differs from tend logs -n 20")
	}
	if all := get2(t, c, "http://tend/v1/daemons/printer/logs?lines=all"); strings.Count(all, "\n") != 55 {
		t.Errorf("lines=all: %d lines, want 55", strings.Count(all, "\n"))
	}
	for _, q := range []string{"lines=-1", "lines=x", "stream=both", "since=soon", "follow=yes"} {
		if code, body := call(t, c, "GET", "http://tend/v1/daemons/printer/logs?"+q, "", ""); code != 400 || !strings.Contains(body, `"bad-request"`) {
			t.Errorf("?%s: %d %s", q, code, body)
		}
	}
	if code, _ := call(t, c, "GET", "http://tend/v1/daemons/nosuch/logs", "", ""); code != 404 {
		t.Errorf("logs of no daemon: %d", code)
	}

	// Follow a daemon that writes a line every 10 ms into a log rotated
	// at 4 KiB (every ~80 lines), until the file has been rotated at
	// least twice and 50 lines have come (at most 30 s: a busy machine
	// runs the ticker slower).
	e.mustStart("ticker", "tick", "--log-max-size", "4K", "--log-max-files", "50")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://tend/v1/daemons/ticker/logs?follow=1&lines=0", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	tick := regexp.MustCompile(`^\S+ stdout tick (\d+)$`)
	rotations := func() int {
		rotated, _ := filepath.Glob(filepath.Join(e.home, "ticker", "output.log.2*"))
		return len(rotated)
	}
	var ticks []int
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		m := tick.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("followed a line that is not a tick: %q", sc.Text())
		}
		n, _ := strconv.Atoi(m[1])
		if len(ticks) > 0 && n != ticks[len(ticks)-1]+1 {
			t.Fatalf("followed tick %d after tick %d", n, ticks[len(ticks)-1])
		}
		ticks = append(ticks, n)
		if len(ticks) >= 50 && len(ticks)%10 == 0 && rotations() >= 2 {
			break
		}
	}
	if len(ticks) < 50 || rotations() < 2 {
		t.Errorf("followed %d ticks over %d rotations in 30 s; want 50 over 2", len(ticks), rotations())
	}
}

func get2(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	code, body := call(t, c, "GET", url, "", "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	return body
}

// writeToken writes a token file of mode 0600 and returns its path and
// token.
func writeToken(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	tok := fmt.Sprintf("%s-%d-token-of-the-test", name, time.Now().UnixNano())
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tok
}

// listen runs tend api listen on a free loopback port and returns the
// base URL.
func (e *env) listen(tokenFile, readOnlyFile string) string {
	e.t.Helper()
	args := []string{"api", "listen", "127.0.0.1:0", "--token-file", tokenFile}
	if readOnlyFile != "" {
		args = append(args, "--read-only-token-file", readOnlyFile)
	}
	r := e.tend(args...)
	m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		e.t.Fatalf("tend %v: %v", args, r)
	}
	return "http://" + m[1]
}

// TestAPIRemote: tend api listen serves the API on TCP behind the token:
// 401 without it or with a wrong one, 403 for a write with the read-only
// one, for a foreign Host header, and for /v1/remote; environment values
// appear in no answer; the listener outlives the host's death and stop;
// --off closes it.
func TestAPIRemote(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	wfile, wtok := writeToken(t, dir, "write")
	rfile, rtok := writeToken(t, dir, "read")
	const secret = "s3cr3t-value-of-the-env"
	e.mustStart("svc", "sleep", "--env", "API_KEY="+secret)
	base := e.listen(wfile, rfile)
	c := &http.Client{Timeout: 10 * time.Second}

	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/v1/daemons", "", 401},
		{"GET", "/v1/daemons", "wrong-token-of-enough-length", 401},
		{"GET", "/v1/daemons", rtok, 200},
		{"GET", "/metrics", rtok, 200},
		{"POST", "/v1/daemons/svc/signal", rtok, 403},
		{"GET", "/v1/remote", wtok, 403},
		{"DELETE", "/v1/remote", wtok, 403},
		{"GET", "/v1/../v1/remote", wtok, 403},
		{"GET", "/v1/daemons/svc", wtok, 200},
	} {
		body := ""
		if tc.method == "POST" {
			body = `{"signal":"CONT"}`
		}
		code, resp := call(t, c, tc.method, base+tc.path, tc.token, body)
		if code != tc.want {
			t.Errorf("%s %s (token %q): %d %s, want %d", tc.method, tc.path, tc.token, code, resp, tc.want)
		}
		if code >= 400 && !strings.Contains(resp, `"code"`) {
			t.Errorf("%s %s: %d without a JSON error: %q", tc.method, tc.path, code, resp)
		}
	}
	if code, _ := call(t, c, "POST", base+"/v1/daemons/svc/signal", wtok, `{"signal":"CONT"}`); code != 200 {
		t.Errorf("a write with the token: %d", code)
	}
	// DNS rebinding: a name of someone else's that resolves here.
	for host, want := range map[string]int{"evil.example.com": 403, "evil.example.com:80": 403, "localhost": 200, "127.0.0.1": 200, "[::1]:9": 200} {
		req, _ := http.NewRequest("GET", base+"/v1/host", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+rtok)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host: %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	// No environment value in any answer.
	for _, p := range []string{"/v1/daemons", "/v1/daemons/svc", "/metrics", "/v1/daemons/svc/logs?lines=all"} {
		if _, body := call(t, c, "GET", base+p, wtok, ""); strings.Contains(body, secret) {
			t.Errorf("GET %s shows the environment's value", p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+rtok)
	if resp, err := c.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"synced"`) || strings.Contains(string(b), secret) {
			t.Errorf("events: %q", b)
		}
	}
	cancel()

	// The host killed: its keeper keeps the listener, the new host serves.
	hostPID := e.hostPID()
	syscall.Kill(hostPID, syscall.SIGKILL)
	eventually(t, "a new host answering on TCP", func() bool {
		code, body := call(t, c, "GET", base+"/v1/host", rtok, "")
		return code == 200 && !strings.Contains(body, fmt.Sprintf(`"pid": %d,`, hostPID))
	})
	// The host stopped: the next one binds the address again.
	if r := e.tend("host", "stop"); r.code != 0 {
		t.Fatal(r)
	}
	if r := e.tend("api", "status"); r.code != 0 || !strings.Contains(r.stdout, strings.TrimPrefix(base, "http://")) {
		t.Errorf("api status after a host stop: %v", r)
	}
	if code, _ := call(t, c, "GET", base+"/v1/daemons", rtok, ""); code != 200 {
		t.Errorf("after the host's stop and start: %d", code)
	}
	if r := e.tend("api", "listen", "--off"); r.code != 0 {
		t.Fatal(r)
	}
	if _, err := c.Get(base + "/v1/daemons"); err == nil {
		t.Error("still served on TCP after --off")
	}
	if _, err := os.Stat(filepath.Join(e.home, ".remote.json")); !os.IsNotExist(err) {
		t.Errorf("the setting stays after --off: %v", err)
	}
	// Bad token files say what to do, and change nothing.
	os.Chmod(wfile, 0o644)
	if r := e.tend("api", "listen", "127.0.0.1:0", "--token-file", wfile); r.code == 0 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("a token file every user reads: %v", r)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if r := e.tend("api", "listen", "127.0.0.1:0", "--token-file", short); r.code == 0 || !strings.Contains(r.stderr, "at least 16") {
		t.Errorf("a short token: %v", r)
	}
	if r := e.tend("api", "listen", "127.0.0.1:0", "--token-file", wfile, "--read-only-token-file", wfile); r.code == 0 {
		t.Errorf("the same token twice: %v", r)
	}
	if r := e.tend("api", "status"); !strings.Contains(r.stdout, "tcp:    off") {
		t.Errorf("api status after failed listens: %v", r)
	}
}

// hostPID is the pid of the running host.
func (e *env) hostPID() int {
	e.t.Helper()
	var info struct {
		PID int `json:"pid"`
	}
	_, body := call(e.t, e.socketClient(), "GET", "http://tend/v1/host", "", "")
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.PID == 0 {
		e.t.Fatalf("GET /v1/host: %q", body)
	}
	return info.PID
}

// TestAPIMetrics: /metrics on the socket counts a daemon's lines per
// stream, its processes, its memory and CPU, and the hits of
// --memory-max, with the labels name and project only.
func TestAPIMetrics(t *testing.T) {
	e := newEnv(t)
	e.mustStart("printer", "print", "--env", "TEST_LINES=50")
	e.mustStart("hog", "hog", "--memory-max", "32M", "--ready", "exec")
	eventually(t, "the hog restarted for its memory", func() bool {
		s, _ := e.status("hog")
		return s.Restarts >= 1
	})
	var metrics string
	value := func(series string) float64 {
		for _, line := range strings.Split(metrics, "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return -1
	}
	eventually(t, "the printer's 50 lines counted", func() bool {
		_, metrics = call(t, e.socketClient(), "GET", "http://tend/metrics", "", "")
		return value(`tend_daemon_log_lines_total{name="printer",project="",stream="stdout"}`) == 50
	})
	for series, want := range map[string]float64{
		`tend_daemon_log_lines_total{name="printer",project="",stream="stderr"}`: 5,
		`tend_daemon_log_lines_dropped_total{name="printer",project=""}`:         0,
		`tend_daemon_processes{name="printer",project=""}`:                       1,
		`tend_daemon_up{name="printer",project=""}`:                              1,
		`tend_daemon_state{name="printer",project="",state="running"}`:           1,
		`tend_daemon_state{name="printer",project="",state="failed"}`:            0,
		`tend_daemon_ready{name="printer",project=""}`:                           1,
		`tend_daemon_instances{name="printer",project=""}`:                       1,
	} {
		if got := value(series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if v := value(`tend_daemon_limit_hits_total{limit="memory",name="hog",project=""}`); v < 1 {
		t.Errorf("memory limit hits of the hog: %v", v)
	}
	if v := value(`tend_daemon_memory_bytes{name="printer",project=""}`); v < 1<<20 {
		t.Errorf("memory of the printer: %v bytes", v)
	}
	if v := value(`tend_daemon_cpu_seconds_total{name="printer",project=""}`); v < 0 {
		t.Errorf("no CPU time of the printer")
	}
	if !strings.Contains(metrics, "process_open_fds ") || !strings.Contains(metrics, "go_goroutines ") {
		t.Error("no process_* or go_* figures of the host")
	}
	if strings.Contains(metrics, testBin) || strings.Contains(metrics, "TEST_LINES") {
		t.Error("a command or an environment in the metrics")
	}
}

// TestAPIStreamsEndWithHost: a host that stops ends the streams it serves
// (events, a log followed) at once, rather than waiting for their readers.
func TestAPIStreamsEndWithHost(t *testing.T) {
	e := newEnv(t)
	e.mustStart("svc", "sleep")
	ended := make(chan string, 2)
	for _, path := range []string{"/v1/events", "/v1/daemons/svc/logs?follow=1"} {
		resp, err := e.socketClient().Get("http://tend" + path)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ended <- path
		}()
	}
	start := time.Now()
	if r := e.tend("host", "stop"); r.code != 0 {
		t.Fatal(r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("tend host stop with two streams open took %v", d)
	}
	for range 2 {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream outlived its host")
		}
	}
}
