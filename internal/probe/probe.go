// Package probe checks from outside whether a daemon answers: a TCP or Unix
// socket that accepts a connection, an HTTP URL that answers 2xx, a file
// that exists, a command that exits 0. tend uses probes for readiness
// (polled with backoff until one succeeds) and for health (at an interval).
package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Kind is what a Probe checks.
type Kind string

// The kinds of probes.
const (
	TCP  Kind = "tcp"  // a TCP connection to HOST:PORT is accepted
	Unix Kind = "unix" // a connection to a Unix stream socket is accepted
	HTTP Kind = "http" // a GET answers with a 2xx status
	File Kind = "file" // the file exists
	Exec Kind = "exec" // the command (run by /bin/sh -c) exits 0
)

// Probe is one check. Create it with Parse.
type Probe struct {
	Kind Kind
	// Target is HOST:PORT, a path, a URL, or a shell command.
	Target string
	// Env and Dir are the environment and working directory of an Exec
	// probe's command (nil: the caller's environment; "": its directory).
	Env []string
	Dir string
	// Run runs an Exec probe's command and says how it ended. Nil means
	// os/exec, which waits for its own child: a program with a reaper of
	// its own (tend's supervisor) must pass one that cooperates with it.
	Run Runner
}

// Runner runs argv (env nil: the caller's environment; dir "": its
// directory) until it exits or ctx ends, and returns its exit status
// (128+N after signal N), a description of how it ended for people, and
// the start of its combined output.
type Runner func(ctx context.Context, argv, env []string, dir string) (code int, how string, out []byte, err error)

// ErrSyntax is wrapped by Parse errors.
var ErrSyntax = errors.New("probe: bad probe")

// Parse parses "tcp:HOST:PORT", "unix:PATH", "http://HOST:PORT/PATH" (or
// https://), "file:PATH" or "exec:COMMAND".
func Parse(s string) (Probe, error) {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Probe{}, fmt.Errorf("%w %q: want http://HOST:PORT/PATH", ErrSyntax, s)
		}
		return Probe{Kind: HTTP, Target: s}, nil
	}
	kind, target, ok := strings.Cut(s, ":")
	if !ok || target == "" {
		return Probe{}, fmt.Errorf("%w %q: want tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH, file:PATH or exec:COMMAND", ErrSyntax, s)
	}
	p := Probe{Kind: Kind(kind), Target: target}
	switch p.Kind {
	case TCP:
		if _, port, err := net.SplitHostPort(target); err != nil || port == "" {
			return Probe{}, fmt.Errorf("%w %q: want tcp:HOST:PORT", ErrSyntax, s)
		}
	case Unix, File:
		if !strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "@") {
			return Probe{}, fmt.Errorf("%w %q: the path must be absolute", ErrSyntax, s)
		}
	case Exec:
	default:
		return Probe{}, fmt.Errorf("%w %q: unknown kind %q", ErrSyntax, s, kind)
	}
	return p, nil
}

// String returns the probe as Parse reads it.
func (p Probe) String() string {
	if p.Kind == HTTP {
		return p.Target
	}
	return string(p.Kind) + ":" + p.Target
}

// Check runs the probe once, bounded by ctx, and returns what it saw: a
// short description on success, or an error saying why it failed.
func (p Probe) Check(ctx context.Context) (string, error) {
	switch p.Kind {
	case TCP, Unix:
		var d net.Dialer
		addr := p.Target
		if p.Kind == Unix && strings.HasPrefix(addr, "@") {
			addr = "\x00" + addr[1:]
		}
		c, err := d.DialContext(ctx, string(p.Kind), addr)
		if err != nil {
			return "", err
		}
		c.Close()
		return "connected", nil
	case HTTP:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Target, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("User-Agent", "tend-probe")
		tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}).Do(req)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return "", fmt.Errorf("HTTP %s", resp.Status)
		}
		return "HTTP " + resp.Status, nil
	case File:
		if _, err := os.Stat(p.Target); err != nil {
			return "", err
		}
		return "exists", nil
	case Exec:
		run := p.Run
		if run == nil {
			run = execRun
		}
		code, desc, out, err := run(ctx, []string{"/bin/sh", "-c", p.Target}, p.Env, p.Dir)
		if err != nil {
			return "", err
		}
		if o := lastLine(out); o != "" {
			desc += ": " + o
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("timed out (%s)", desc)
		}
		if code != 0 {
			return "", errors.New(desc)
		}
		return desc, nil
	}
	return "", fmt.Errorf("probe: unknown kind %q", p.Kind)
}

// execRun is the Runner of os/exec.
func execRun(ctx context.Context, argv, env []string, dir string) (int, string, []byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	// Its own group, killed whole when ctx ends; a descendant that keeps
	// the output pipe open is not waited for long.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 100 * time.Millisecond
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	ps := cmd.ProcessState
	if ps == nil {
		return 0, "", nil, err // it never ran
	}
	b := out.Bytes()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), "killed by signal " + ws.Signal().String(), b, nil
	}
	return ps.ExitCode(), fmt.Sprintf("exited with status %d", ps.ExitCode()), b, nil
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// Backoff of Poll: the first retry comes after MinDelay, and the delay
// doubles up to MaxDelay.
const (
	MinDelay = 5 * time.Millisecond
	MaxDelay = time.Second
)

// Poll calls check until it succeeds or ctx ends, backing off from
// MinDelay to MaxDelay between attempts; each attempt is bounded by
// attempt as well as by ctx. It returns nil on success, else the last
// attempt's error (or ctx's, if none was made).
func Poll(ctx context.Context, attempt time.Duration, check func(context.Context) error) error {
	delay := MinDelay
	var last error
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := check(actx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			if last == nil {
				last = ctx.Err()
			}
			return last
		case <-t.C:
		}
		delay = min(delay*2, MaxDelay)
	}
}
