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
	"github.com/tendhq/tend/internal/status"
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

// errNoHost says that no host answers on the socket.
var errNoHost = errors.New("no host answers")

// hostStartWait bounds the wait for a host that another tend is starting.
const hostStartWait = 10 * time.Second

// Host is a client of the host of a state folder.
type Host struct {
	root string
	http *http.Client
}

// DialHost returns a client of the host of the state folder root,
// starting the host first when none answers.
func DialHost(ctx context.Context, root string) (*Host, error) {
	h := hostClient(root)
	if h.alive(ctx) {
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
	deadline := time.Now().Add(hostStartWait)
	for !h.alive(ctx) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("the host of %s does not answer (see %s)", root, cfg.LogFile)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return h, nil
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

// alive reports whether the host answers.
func (h *Host) alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var info api.HostInfo
	return h.call(ctx, http.MethodGet, "/v1/host", nil, &info) == nil
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
	req, err := http.NewRequestWithContext(ctx, method, "http://tend"+path, rd)
	if err != nil {
		return err
	}
	resp, err := h.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("the host of %s does not run: %w", h.root, errNoHost)
		}
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
// is ready.
func (h *Host) Start(ctx context.Context, def *definition.Definition) (status.Record, error) {
	var rec status.Record
	err := h.call(ctx, http.MethodPost, "/v1/daemons", def, &rec)
	return rec, err
}
