package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPrometheusScrapesTend: Debian's prometheus, started on a loopback
// port with a bearer-token scrape config, scrapes tend api listen's
// /metrics, and a query of tend_daemon_restarts_total returns the
// restarts of a daemon that crashed; promtool check metrics finds nothing
// to say of /metrics. .ci/run installs prometheus.
func TestPrometheusScrapesTend(t *testing.T) {
	prom, err1 := exec.LookPath("prometheus")
	promtool, err2 := exec.LookPath("promtool")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("prometheus or promtool is not installed; .ci/run installs them")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus, or run .ci/run)")
	}
	e := newEnv(t)
	dir := t.TempDir()
	wfile, _ := writeToken(t, dir, "write")
	rfile, rtok := writeToken(t, dir, "read")
	pid := e.mustStart("crashy", "sleep", "--restart", "always")
	e.mustStart("calm", "sleep")
	base := e.listen(wfile, rfile)

	// Two crashes.
	for i := 1; i <= 2; i++ {
		syscall.Kill(pid, syscall.SIGKILL)
		eventually(t, fmt.Sprintf("restart %d", i), func() bool {
			s, _ := e.status("crashy")
			if s.Restarts == i && s.State == "running" && s.PID != pid {
				pid = s.PID
				return true
			}
			return false
		})
	}

	// promtool: the exposition is clean.
	code, metrics := call(t, &http.Client{Timeout: 10 * time.Second}, "GET", base+"/metrics", rtok, "")
	if code != 200 || !strings.Contains(metrics, `tend_daemon_restarts_total{name="crashy",project=""} 2`) {
		t.Fatalf("GET /metrics: %d\n%s", code, metrics)
	}
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(metrics)
	if out, err := check.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	// Prometheus, on a free loopback port, scraping every second with
	// the read-only token.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := ln.Addr().String()
	ln.Close()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tend
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: [%q]
`, rfile, strings.TrimPrefix(base, "http://"))
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	defer logFile.Close()
	cmd := exec.Command(prom, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()

	query := "http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(`tend_daemon_restarts_total{name="crashy"}`)
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v, ok := promValue(query, &last); ok && v == "2" {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("Prometheus never returned 2 restarts of crashy; last answer: %s\nits log:\n%s", last, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The scrape itself is healthy: up is 1 for the target.
	if v, ok := promValue("http://"+promAddr+"/api/v1/query?query="+url.QueryEscape(`up{job="tend"}`), &last); !ok || v != "1" {
		t.Errorf("up{job=tend}: %s", last)
	}
}

// promValue asks Prometheus's HTTP API for an instant query and returns
// the value of its one result; last gets the answer.
func promValue(query string, last *string) (string, bool) {
	resp, err := http.Get(query)
	if err != nil {
		*last = err.Error()
		return "", false
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	*last = b.String()
	if json.Unmarshal(b.Bytes(), &r) != nil || r.Status != "success" || len(r.Data.Result) != 1 {
		return "", false
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, true
}
