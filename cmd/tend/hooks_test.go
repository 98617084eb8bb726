package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hookEnvs reads the environments that a hook wrote (env | grep ^TEND_,
// then a line ---) to file, one map per run.
func hookEnvs(file string) []map[string]string {
	b, _ := os.ReadFile(file)
	var out []map[string]string
	cur := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "---" {
			out, cur = append(out, cur), map[string]string{}
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			cur[k] = v
		}
	}
	return out
}

const hookScript = `{ env | grep ^TEND_; echo ---; } >> `

// TestHooks: --on-exit runs after every exit of the main process and
// --on-failure when the daemon fails for good, each with the daemon's
// name, project, exit status (or signal), restarts and state in its
// environment, one at a time (the second waits, and events.log says so);
// their output and exit are in events.log, tend status and the API's
// event stream; a hook that runs too long is killed at --hook-timeout.
func TestHooks(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	exits, failures := filepath.Join(dir, "exits"), filepath.Join(dir, "failures")

	// Exits 3 after a moment, twice: the start limit fails it.
	r := e.tend("start", "crashy", "--start-limit", "2", "--ready", "after:200ms",
		"--on-exit", hookScript+exits+"; sleep 0.5; echo exit hook ran",
		"--on-failure", hookScript+failures+"; echo failure hook ran; exit 4",
		"--", "sh", "-c", "sleep 0.4; exit 3")
	if r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	// The event stream: its snapshot, or a change after it, shows the
	// on-failure hook's run in the daemon's view.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://tend/v1/events?name=crashy", nil)
	resp, err := e.socketClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	hookSeen := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev struct {
				Daemon *struct {
					Hook *struct {
						Hook   string `json:"hook"`
						Output string `json:"output"`
						Exit   *struct {
							Code int `json:"code"`
						} `json:"exit"`
					} `json:"hook"`
				} `json:"daemon"`
			}
			json.Unmarshal(sc.Bytes(), &ev)
			if d := ev.Daemon; d != nil && d.Hook != nil && d.Hook.Hook == "on-failure" && d.Hook.Exit != nil {
				hookSeen <- sc.Text()
				return
			}
		}
	}()

	eventually(t, "the on-failure hook's end in tend status", func() bool {
		r := e.tend("status", "crashy")
		return strings.Contains(r.stdout, "on-failure exited with status 4") && strings.Contains(r.stdout, "failure hook ran")
	})
	runs := hookEnvs(exits)
	if len(runs) != 2 {
		t.Fatalf("on-exit ran %d times, want 2 (one per exit): %v", len(runs), runs)
	}
	for i, want := range []map[string]string{
		{"TEND_NAME": "crashy", "TEND_EXIT_STATUS": "3", "TEND_RESTARTS": "0", "TEND_STATE": "starting"},
		{"TEND_NAME": "crashy", "TEND_EXIT_STATUS": "3", "TEND_RESTARTS": "1", "TEND_STATE": "failed"},
	} {
		for k, v := range want {
			if runs[i][k] != v {
				t.Errorf("on-exit run %d: %s=%q, want %q (%v)", i, k, runs[i][k], v, runs[i])
			}
		}
		if _, ok := runs[i]["TEND_PROJECT"]; !ok {
			t.Errorf("on-exit run %d: no TEND_PROJECT: %v", i, runs[i])
		}
	}
	if f := hookEnvs(failures)[0]; f["TEND_STATE"] != "failed" || f["TEND_EXIT_STATUS"] != "3" || f["TEND_NAME"] != "crashy" {
		t.Errorf("on-failure's environment: %v", f)
	}
	events, _ := os.ReadFile(filepath.Join(e.home, "crashy", "events.log"))
	for _, want := range []string{`"msg":"hook waits for the one that runs","hook":"on-exit","running":"on-exit"`,
		`"msg":"hook waits for the one that runs","hook":"on-failure","running":"on-exit"`,
		`"output":"exit hook ran"`, `"hook":"on-failure"`, `"how":"exited with status 4","output":"failure hook ran"`} {
		if !strings.Contains(string(events), want) {
			t.Errorf("events.log has no %s:\n%s", want, events)
		}
	}
	select {
	case line := <-hookSeen:
		if !strings.Contains(line, `"output":"failure hook ran"`) {
			t.Errorf("the event stream's hook: %s", line)
		}
	case <-time.After(20 * time.Second):
		t.Error("the event stream showed no on-failure hook's end")
	}

	// A stop: the exit is a signal. A hook that runs too long is killed.
	stopped := filepath.Join(dir, "stopped")
	e.mustStart("svc", "sleep", "--on-exit", hookScript+stopped+"; sleep 30", "--hook-timeout", "500ms")
	if r := e.tend("stop", "svc"); r.code != 0 {
		t.Fatalf("stop: %v", r)
	}
	eventually(t, "the hook's end in tend status", func() bool {
		return strings.Contains(e.tend("status", "svc").stdout, "on-exit killed at the hook timeout (500ms)")
	})
	if runs := hookEnvs(stopped); len(runs) != 1 || runs[0]["TEND_EXIT_SIGNAL"] != "TERM" || runs[0]["TEND_EXIT_STATUS"] != "" {
		t.Errorf("on-exit after a stop: %v", runs)
	}
}
