package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/host"
)

// apiClient speaks the host's HTTP API alone: on its socket, or on its
// TCP address (tend api listen) with a bearer token. It is what tend top
// asks a remote host, and the host's logs on this machine.
type apiClient struct {
	base  string // http://HOST:PORT, no slash at the end
	token string // "" on the socket
	http  *http.Client
}

// socketAPI is the API on the host socket of the state folder root. It
// does not start a host.
func socketAPI(root string) *apiClient {
	sock := filepath.Join(root, host.SocketName)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}
	return &apiClient{base: "http://tend", http: &http.Client{Transport: tr}}
}

// remoteAPI is the API at the address of rawURL (http://HOST:PORT, or
// HOST:PORT), with the token in tokenFile.
func remoteAPI(rawURL, tokenFile string) (*apiClient, error) {
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErr("top", "--remote %q: give the address the host serves its API on, as http://HOST:PORT (see: tend help api)", rawURL)
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fmt.Errorf("the token file of --remote: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return nil, fmt.Errorf("the token file %s holds no token: one word, as tend api listen --token-file reads it", tokenFile)
	}
	return &apiClient{base: strings.TrimSuffix(u.String(), "/"), token: token, http: &http.Client{}}, nil
}

// check asks the host what it is (GET /v1/host): whether it answers, and
// takes the token.
func (c *apiClient) check() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var info api.HostInfo
	if err := c.call(ctx, http.MethodGet, "/v1/host", nil, &info); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return fmt.Errorf("the host at %s: %w", c.base, err)
		}
		return err
	}
	return nil
}

// do sends a request and returns the answer of a success; a failure is
// the host's error.
func (c *apiClient) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the host's API at %s: %w", c.where(), err)
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e api.Error
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("the host answered %s", resp.Status)
	}
	return nil, &apiError{status: resp.StatusCode, body: e}
}

// apiError is a failure the host answered with.
type apiError struct {
	status int
	body   api.Error
}

func (e *apiError) Error() string { return e.body.Message }

// where is the host, for errors.
func (c *apiClient) where() string {
	if c.token == "" {
		return "its socket"
	}
	return c.base
}

// call sends a request and decodes the answer into out (when not nil).
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out)
}

// events follows GET /v1/events (of project, when not empty) until ctx
// is done or the stream ends.
func (c *apiClient) events(ctx context.Context, project string) (<-chan api.Event, error) {
	path := "/v1/events"
	if project != "" {
		path += "?project=" + url.QueryEscape(project)
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return api.ReadEvents(ctx, resp.Body), nil
}

// logs follows GET /v1/daemons/{name}/logs: its last lines, then every
// new one, until ctx is done.
func (c *apiClient) logs(ctx context.Context, name string, lines int) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, daemonRoute(name, "logs")+"?follow=1&lines="+strconv.Itoa(lines), nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// metric is one sample of /metrics: a daemon's figure.
type metric struct {
	name, daemon string
	value        float64
}

// daemonMetrics reads the daemons' figures of GET /metrics whose names
// are among names (tend_daemon_...).
func (c *apiClient) daemonMetrics(ctx context.Context, names ...string) ([]metric, error) {
	resp, err := c.do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []metric
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m, ok := parseMetric(sc.Text())
		if !ok {
			continue
		}
		for _, n := range names {
			if m.name == n {
				out = append(out, m)
			}
		}
	}
	return out, sc.Err()
}

// parseMetric parses a line of Prometheus's text format whose labels
// hold a daemon's name: NAME{name="web",project=""} VALUE.
func parseMetric(line string) (metric, bool) {
	metricName, rest, ok := strings.Cut(line, "{")
	if !ok || strings.HasPrefix(line, "#") {
		return metric{}, false
	}
	m := metric{name: metricName}
	for {
		label, r, ok := strings.Cut(rest, `="`)
		if !ok {
			return metric{}, false
		}
		value, r, ok := labelValue(r)
		if !ok {
			return metric{}, false
		}
		if label == "name" {
			m.daemon = value
		}
		if r, ok = strings.CutPrefix(r, ","); !ok {
			rest = r
			break
		}
		rest = r
	}
	r, ok := strings.CutPrefix(rest, "} ")
	if !ok || m.daemon == "" {
		return metric{}, false
	}
	f := strings.Fields(r) // the value, and maybe a timestamp
	if len(f) == 0 {
		return metric{}, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return metric{}, false
	}
	m.value = v
	return m, true
}

// labelValue reads a label's value up to its closing quote (escapes:
// \\, \", \n), and returns what follows the quote.
func labelValue(s string) (string, string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// daemonRoute is /v1/daemons/{name}[/op].
func daemonRoute(name, op string) string {
	p := "/v1/daemons/" + url.PathEscape(name)
	if op != "" {
		p += "/" + op
	}
	return p
}
