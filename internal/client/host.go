package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/host"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
)

// The hidden tend commands of the host: the keeper, which the CLI starts
// as a daemon, and the host, which the keeper runs.
const (
	KeeperCommand = "__keeper"
	HostCommand   = "__host"
)

// HostEnv, set to 0, has tend start each daemon under a supervisor
// process of its own rather than in the resident host.
const HostEnv = "TEND_HOST"

// UseHost reports whether daemons start in the host.
func UseHost() bool { return os.Getenv(HostEnv) != "0" }

// errElsewhere is the host's answer for a daemon that another process
// supervises: the client then asks that supervisor itself.
var errElsewhere = errors.New("supervised by a process of its own")

// Elsewhere reports whether err is the host's answer for a daemon that
// a supervisor process of its own runs (see StopMany).
func Elsewhere(err error) bool { return errors.Is(err, errElsewhere) }

// InHost reports whether the daemon of dir is the host's to supervise:
// not when the host is off (HostEnv), nor when its stored definition
// says isolated (a supervisor process of its own runs it).
func InHost(dir state.Dir) bool {
	if !UseHost() {
		return false
	}
	def, err := LoadDefinition(dir)
	return err != nil || !def.Isolated
}

// HostConfig is how the keeper detaches: the same in the process that
// launches it and in the keeper itself. Its pidfile's lock makes it the
// only keeper of the state folder.
func HostConfig(root string) daemon.Config {
	return daemon.Config{
		Name:    "tend",
		PIDFile: filepath.Join(root, "host.pid"),
		LogFile: filepath.Join(root, "host.log"),
		// The keeper opens no file by a name a user gives, so it may
		// stay a session leader (daemon(7)): one exec less.
		SkipSecondFork: true,
	}
}

// errNoHost says that no host answers on the socket; errHostDied that
// the host went away during a request (its keeper starts a new one).
var (
	errNoHost   = errors.New("no host answers")
	errHostDied = errors.New("the host went away")
)

// hostStartWait bounds the wait for a host that another tend is starting
// (or its keeper is starting again). A host starts in milliseconds; on a
// machine with two CPUs kept busy, 12 tend up at once (36 clients) waited
// more than 10 s for one. A halted host or keeper is given up on sooner
// (see halted).
const hostStartWait = 30 * time.Second

// Host is a client of the host of a state folder.
type Host struct {
	root string
	http *http.Client
}

// DialHost returns a client of the host of the state folder root,
// starting the host first when none answers.
func DialHost(ctx context.Context, root string) (*Host, error) {
	h := hostClient(root)
	if h.listening() {
		// Someone listens: the keeper holds the socket even while its
		// host is replaced, and the request waits in the backlog; a
		// halted host is diagnosed by call. A round trip less than a
		// ping.
		return h, nil
	}
	err := h.ping(ctx)
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, errNoHost) {
		// It did not answer in time: stopped, or still starting.
		if err := h.waitUp(ctx, hostStartWait); err != nil {
			return nil, err
		}
		return h, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start the host: %w", err)
	}
	cfg := HostConfig(root)
	cfg.Args = []string{self, KeeperCommand}
	cfg.Env = append(launchEnv(os.Environ()), "TEND_HOME="+root)
	_, err = daemon.Launch(cfg)
	if err != nil && !errors.Is(err, daemon.ErrAlreadyRunning) {
		return nil, fmt.Errorf("start the host: %w (see %s)", err, cfg.LogFile)
	}
	// Started, or being started by another tend: wait until it answers.
	if err := h.waitUp(ctx, hostStartWait); err != nil {
		return nil, err
	}
	return h, nil
}

// waitUp waits until the host answers, at most wait: a host being
// started, or started again by its keeper.
func (h *Host) waitUp(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		err := h.ping(ctx)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, errNoHost) && !errors.Is(err, errHostDied) && (h.halted() || time.Now().After(deadline)):
			return h.unanswered(err)
		case errors.Is(err, errNoHost) && !h.keeperRuns():
			return err // no keeper to start one
		case time.Now().After(deadline) || ctx.Err() != nil:
			return fmt.Errorf("the host of %s does not answer (see %s)", h.root, HostConfig(h.root).LogFile)
		}
		// Soon at first; then less often, so that many clients waiting
		// at once leave the CPU to the host they wait for.
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// keeperRuns reports whether a keeper holds the state folder's lock: it
// starts a host, or has one.
func (h *Host) keeperRuns() bool {
	held, _, err := pidfile.Locked(HostConfig(h.root).PIDFile)
	return err == nil && held
}

// halted reports whether the host or its keeper is stopped (SIGSTOP, a
// debugger) or blocked in the kernel: waiting longer would not help.
func (h *Host) halted() bool {
	keeper, host := h.processes()
	for _, pid := range []int{keeper, host} {
		if st, err := proc.RunState(pid); pid > 0 && err == nil && (st == 'T' || st == 't' || st == 'D') {
			return true
		}
	}
	return false
}

// processes returns the pids of the keeper and the host (0 when not
// found).
func (h *Host) processes() (keeper, host int) {
	keeper, err := pidfile.Read(HostConfig(h.root).PIDFile)
	if err != nil {
		return 0, 0
	}
	if kids, err := proc.Children(keeper); err == nil {
		for _, k := range kids {
			if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", k)); bytes.Contains(cmd, []byte(HostCommand)) {
				host = k
			}
		}
	}
	return keeper, host
}

// pingTimeout bounds the question whether the host answers.
const pingTimeout = 2 * time.Second

// readWithin is how long the host may take to read a request before the
// client looks at what it is doing (api.ReadByHeader).
const readWithin = 5 * time.Second

// errHalted is the cause of a request given up on: the host or its keeper
// is stopped or blocked (see halted).
var errHalted = errors.New("the host is halted")

// watchHalted gives the request of ctx up (giveUp) once the host is seen
// halted twice in a row, a quarter of a second apart (a moment in the
// kernel, waiting for a disk, is no reason), until ctx is done.
func (h *Host) watchHalted(ctx context.Context, giveUp context.CancelCauseFunc) {
	seen, hostless := 0, time.Time{}
	for ctx.Err() == nil {
		if h.halted() {
			seen++
		} else {
			seen = 0
		}
		if seen == 2 {
			giveUp(errHalted)
			return
		}
		// No host for a while, and none started: the request waits in
		// the socket's backlog for nobody.
		switch keeper, host := h.processes(); {
		case keeper == 0:
			giveUp(errNoHost)
			return
		case host > 0:
			hostless = time.Time{}
		case hostless.IsZero():
			hostless = time.Now()
		case time.Since(hostless) > hostStartWait:
			giveUp(errNoHost)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// listening reports whether the host's socket takes connections.
func (h *Host) listening() bool {
	c, err := net.Dial("unix", filepath.Join(h.root, host.SocketName))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ping asks the host whether it answers: nil, errNoHost when none runs,
// or why it did not answer.
func (h *Host) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var info api.HostInfo
	return h.call(ctx, http.MethodGet, "/v1/host", nil, &info)
}

// unanswered explains a request that the host did not answer in time:
// what its process is doing.
func (h *Host) unanswered(err error) error {
	keeper, host := h.processes()
	if keeper == 0 {
		return fmt.Errorf("the host of %s did not answer: %w", h.root, err)
	}
	pid, who := keeper, "its keeper"
	if host > 0 {
		pid, who = host, "the host"
	}
	st, _ := proc.RunState(pid)
	if ks, _ := proc.RunState(keeper); ks == 'T' || ks == 't' {
		pid, who, st = keeper, "its keeper", ks
	}
	why := ""
	switch st {
	case 'T', 't':
		why = fmt.Sprintf("%s (pid %d) is stopped (by SIGSTOP or a debugger); continue it with: kill -CONT %d", who, pid, pid)
	case 'D':
		why = fmt.Sprintf("%s (pid %d) is blocked in the kernel (uninterruptible sleep: a full or hung disk?)", who, pid)
	default:
		why = fmt.Sprintf("%s (pid %d) runs but is busy; see %s", who, pid, HostConfig(h.root).LogFile)
	}
	return fmt.Errorf("%w of %s in time: %s (the request will not be carried out later)", ErrNoAnswer, h.root, why)
}

func hostClient(root string) *Host {
	sock := filepath.Join(root, host.SocketName)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}
	return &Host{root: root, http: &http.Client{Transport: tr}}
}

// HostError is a failure the host answered with.
type HostError struct {
	Status int
	Body   api.Error
}

func (e *HostError) Error() string { return e.Body.Message }

// Is makes errors.Is true for the error the host's code stands for:
// daemon.ErrAlreadyRunning, definition.ErrUsage, ErrUnknown,
// ErrNotRunning, ErrStale.
func (e *HostError) Is(target error) bool {
	switch e.Body.Code {
	case api.CodeAlreadyRunning:
		return target == daemon.ErrAlreadyRunning
	case api.CodeBadRequest:
		return target == definition.ErrUsage
	case api.CodeUnknown:
		return target == ErrUnknown
	case api.CodeNotRunning:
		return target == ErrNotRunning
	case api.CodeStale:
		return target == ErrStale || target == ErrNotRunning
	case api.CodeStopping:
		return target == errStopping
	case api.CodeElsewhere:
		return target == errElsewhere
	}
	return false
}

// call sends a request with body (JSON, when not nil) and decodes the
// answer into out.
func (h *Host) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	// A host that does not read the request within readWithin is
	// checked: one that is halted is given up on, and refuses the
	// request when it reads it later.
	ctx, giveUp := context.WithCancelCause(ctx)
	defer giveUp(nil)
	readBy := time.Now().Add(readWithin)
	watch := time.AfterFunc(readWithin, func() { h.watchHalted(ctx, giveUp) })
	defer watch.Stop()
	req, err := http.NewRequestWithContext(ctx, method, "http://tend"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(api.ReadByHeader, readBy.UTC().Format(time.RFC3339Nano))
	if d, ok := ctx.Deadline(); ok {
		// A request the host reads after this (it was stopped, say) is
		// not carried out for a client that has left.
		req.Header.Set(api.DeadlineHeader, d.UTC().Format(time.RFC3339Nano))
	}
	resp, err := h.http.Do(req)
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errHalted):
		return h.unanswered(cause)
	case errors.Is(cause, errNoHost):
		return fmt.Errorf("the host of %s does not answer, and no host runs to answer: %w (see %s)",
			h.root, errNoHost, HostConfig(h.root).LogFile)
	}
	switch {
	case err == nil:
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("the host of %s does not run: %w", h.root, errNoHost)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("the host of %s went away during the request: %w", h.root, errHostDied)
	default:
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		he := &HostError{Status: resp.StatusCode}
		if json.Unmarshal(b, &he.Body) != nil || he.Body.Message == "" {
			he.Body.Message = fmt.Sprintf("the host answered %s", resp.Status)
		}
		return he
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Start has the host start def, and returns the daemon's record once it
// is ready (and, by default, settled).
func (h *Host) Start(ctx context.Context, def *definition.Definition) (api.Started, error) {
	var s api.Started
	err := h.call(ctx, http.MethodPost, "/v1/daemons", def, &s)
	return s, err
}

// HostInfo asks the host what it is, without starting one: errNoHost (see
// NoHost) when none runs.
func HostInfo(ctx context.Context, root string) (api.HostInfo, error) {
	var info api.HostInfo
	err := hostClient(root).call(ctx, http.MethodGet, "/v1/host", nil, &info)
	return info, err
}

// NoHost reports whether err says that no host runs.
func NoHost(err error) bool { return errors.Is(err, errNoHost) }

// StopHost stops every daemon of the state folder root, then its host
// and keeper, and returns once the keeper has exited. It returns
// errNoHost when none runs.
func StopHost(ctx context.Context, root string) error {
	cfg := HostConfig(root)
	held, pid, err := pidfile.Locked(cfg.PIDFile)
	if err != nil || !held {
		return fmt.Errorf("no host runs for %s: %w", root, errNoHost)
	}
	keeper, err := proc.Lookup(pid)
	if err != nil || !keeper.Alive() {
		return fmt.Errorf("no host runs for %s: %w", root, errNoHost)
	}
	exited, stop, err := proc.WatchExit(keeper)
	if err != nil {
		return err
	}
	defer stop()
	if err := keeper.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the host of %s (keeper pid %d): %w", root, pid, err)
	}
	select {
	case <-exited:
	case <-ctx.Done():
		return fmt.Errorf("the host of %s (keeper pid %d) has not exited in time: it is stopping its daemons; see %s", root, pid, cfg.LogFile)
	}
	// The lock goes a moment after the process.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if held, _, _ := pidfile.Locked(cfg.PIDFile); !held {
			break
		}
	}
	return nil
}

// UpgradeHost has the host's keeper execute path in its place, and the
// new keeper start a new host, which takes every daemon over: nothing
// is stopped. It returns the new host's info once it answers.
func UpgradeHost(ctx context.Context, root, path string) (api.HostInfo, error) {
	h := hostClient(root)
	var before api.HostInfo
	if err := h.call(ctx, http.MethodGet, "/v1/host", nil, &before); err != nil {
		return before, err
	}
	if err := h.call(ctx, http.MethodPost, "/v1/host/upgrade", api.UpgradeRequest{Path: path}, nil); err != nil &&
		!errors.Is(err, errHostDied) {
		return before, err
	}
	for {
		var after api.HostInfo
		err := h.call(ctx, http.MethodGet, "/v1/host", nil, &after)
		if err == nil && after.PID != before.PID {
			return after, nil
		}
		select {
		case <-ctx.Done():
			return before, fmt.Errorf("the upgraded host of %s does not answer (see %s)", root, HostConfig(root).LogFile)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
