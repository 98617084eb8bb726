package definition

import (
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/probe"
)

// Defaults of the readiness and health options.
const (
	DefaultReadyTimeout    = 60 * time.Second
	DefaultHealthInterval  = 10 * time.Second
	DefaultHealthThreshold = 3
	// ProbeTimeout bounds one health probe (and the interval, if shorter).
	ProbeTimeout = 5 * time.Second
)

// Readiness kinds: how the supervisor learns that an incarnation is ready.
const (
	ReadyExec   = "exec"   // as soon as the command was executed
	ReadyNotify = "notify" // READY=1 over sd_notify
	ReadyFD     = "fd"     // a newline on a descriptor (s6's notification-fd)
	ReadyProbe  = "probe"  // a polled probe answers (tcp, unix, http, file)
	ReadyAfter  = "after"  // still running after a delay
	ReadyLog    = "log"    // a line of its output matches a pattern
)

// ReadySettled is the --ready mode of the default, which may also be
// given: ReadyExec for the supervisor, and then settled (see
// Readiness.Settle).
const ReadySettled = "settled"

// Readiness is a parsed --ready mode.
type Readiness struct {
	Kind string
	// Settle is set for the default mode (no --ready, or --ready
	// settled): ReadyExec for the supervisor, and tend start then watches
	// the command until it has settled (waits for something), so that a
	// command that crashes at once is not reported started. --ready exec
	// does not.
	Settle bool
	FD     int           // for ReadyFD
	Probe  probe.Probe   // for ReadyProbe
	After  time.Duration // for ReadyAfter
	// Log is the pattern of ReadyLog (log:REGEX, Go's RE2 syntax),
	// matched against each line of stdout and stderr without its newline.
	Log *regexp.Regexp
}

// ParseReady parses a --ready mode: settled (the default, also for ""),
// exec, notify, fd:N, tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH,
// file:PATH, after:DURATION or log:REGEX.
func ParseReady(s string) (Readiness, error) {
	switch {
	case s == "" || s == ReadySettled:
		return Readiness{Kind: ReadyExec, Settle: true}, nil
	case s == ReadyExec:
		return Readiness{Kind: ReadyExec}, nil
	case s == ReadyNotify:
		return Readiness{Kind: ReadyNotify}, nil
	case strings.HasPrefix(s, "fd:"):
		n, err := strconv.Atoi(s[3:])
		if err != nil || n < 3 || n > 255 {
			return Readiness{}, fmt.Errorf("%q: want fd:N with N from 3 to 255", s)
		}
		return Readiness{Kind: ReadyFD, FD: n}, nil
	case strings.HasPrefix(s, "after:"):
		d, err := time.ParseDuration(s[6:])
		if err != nil || d < 0 {
			return Readiness{}, fmt.Errorf("%q: want after:DURATION, such as after:2s", s)
		}
		return Readiness{Kind: ReadyAfter, After: d}, nil
	case strings.HasPrefix(s, "log:"):
		if s == "log:" {
			return Readiness{}, fmt.Errorf("%q: want log:REGEX, such as log:listening on", s)
		}
		re, err := regexp.Compile(s[4:])
		if err != nil {
			return Readiness{}, fmt.Errorf("%q: want log:REGEX with a regular expression in Go's syntax (RE2): %v", s, err)
		}
		return Readiness{Kind: ReadyLog, Log: re}, nil
	}
	p, err := probe.Parse(s)
	if err != nil || p.Kind == probe.Exec {
		return Readiness{}, fmt.Errorf("%q: want settled, exec, notify, fd:N, tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH, file:PATH, after:DURATION or log:REGEX", s)
	}
	return Readiness{Kind: ReadyProbe, Probe: p}, nil
}

// ListenSocket is one --listen socket: [NAME=]tcp://HOST:PORT or
// [NAME=]unix:///PATH.
type ListenSocket struct {
	// Name is the socket's LISTEN_FDNAMES entry (default: the daemon's name).
	Name    string
	Network string // "tcp" or "unix"
	Address string // HOST:PORT, or an absolute path
}

// String returns the socket as --listen reads it, without its name.
func (l ListenSocket) String() string { return l.Network + "://" + l.Address }

// ParseListen parses a --listen value; defaultName is used when it names
// no NAME.
func ParseListen(s, defaultName string) (ListenSocket, error) {
	name, addr := defaultName, s
	if i := strings.Index(s, "="); i >= 0 && !strings.Contains(s[:i], "://") {
		name, addr = s[:i], s[i+1:]
	}
	if name == "" || len(name) > 255 || strings.ContainsAny(name, ":\n\r\t ") {
		return ListenSocket{}, fmt.Errorf("--listen %q: the name must be 1-255 characters without ':' or spaces", s)
	}
	network, rest, ok := strings.Cut(addr, "://")
	switch {
	case ok && network == "tcp":
		if _, port, err := net.SplitHostPort(rest); err != nil || port == "" {
			return ListenSocket{}, fmt.Errorf("--listen %q: want tcp://HOST:PORT", s)
		}
	case ok && network == "unix":
		if !filepath.IsAbs(rest) {
			return ListenSocket{}, fmt.Errorf("--listen %q: want unix:///ABSOLUTE/PATH", s)
		}
		if strings.HasSuffix(rest, "/") {
			return ListenSocket{}, fmt.Errorf("--listen %q: %s names a directory; give the socket's own path, such as unix://%sapp.sock", s, rest, rest)
		}
	default:
		return ListenSocket{}, fmt.Errorf("--listen %q: want tcp://HOST:PORT or unix:///PATH", s)
	}
	return ListenSocket{Name: name, Network: network, Address: rest}, nil
}

// Readiness returns the parsed Ready mode (exec if it does not parse:
// Validate has refused it already).
func (d *Definition) Readiness() Readiness {
	if d.Task() {
		return Readiness{Kind: ReadyExec} // see Definition.Task
	}
	r, err := ParseReady(d.Ready)
	if err != nil {
		return Readiness{Kind: ReadyExec}
	}
	return r
}

// ListenSockets returns the parsed Listen sockets.
func (d *Definition) ListenSockets() ([]ListenSocket, error) {
	var out []ListenSocket
	for _, s := range d.Listen {
		l, err := ParseListen(s, d.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// DefaultSocketMode is the mode of a unix --listen socket's file, as
// systemd's SocketMode= defaults to: every user may connect.
const DefaultSocketMode fs.FileMode = 0o666

// SocketFileMode returns the mode of the unix Listen sockets' files:
// SocketMode, or DefaultSocketMode (also when it does not parse: Validate
// has refused it already).
func (d *Definition) SocketFileMode() fs.FileMode {
	m, err := parseSocketMode(d.SocketMode)
	if err != nil {
		return DefaultSocketMode
	}
	return m
}

func parseSocketMode(s string) (fs.FileMode, error) {
	if s == "" {
		return DefaultSocketMode, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not an octal mode such as 0660", s)
	}
	return fs.FileMode(n), nil
}

// HealthProbe returns the parsed Health probe; ok is false without one.
func (d *Definition) HealthProbe() (p probe.Probe, ok bool, err error) {
	if d.Health == "" {
		return probe.Probe{}, false, nil
	}
	p, err = probe.Parse(d.Health)
	if err != nil || p.Kind == probe.File {
		return probe.Probe{}, false, fmt.Errorf("--health %q: want tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH or exec:COMMAND", d.Health)
	}
	return p, true, nil
}

// ReadyTimeoutOrDefault is how long an incarnation has to become ready.
func (d *Definition) ReadyTimeoutOrDefault() time.Duration {
	if d.ReadyTimeout > 0 {
		return d.ReadyTimeout
	}
	return DefaultReadyTimeout
}

// HealthIntervalOrDefault is the time between health probes.
func (d *Definition) HealthIntervalOrDefault() time.Duration {
	if d.HealthInterval > 0 {
		return d.HealthInterval
	}
	return DefaultHealthInterval
}

// HealthThresholdOrDefault is how many failed probes in a row restart
// the daemon.
func (d *Definition) HealthThresholdOrDefault() int {
	if d.HealthThreshold > 0 {
		return d.HealthThreshold
	}
	return DefaultHealthThreshold
}

// NeedsNotifySocket says whether the child gets a NOTIFY_SOCKET.
func (d *Definition) NeedsNotifySocket() bool {
	return d.Readiness().Kind == ReadyNotify || d.Watchdog > 0
}

func (d *Definition) validateReadiness() error {
	r, err := ParseReady(d.Ready)
	if err != nil {
		return usagef("--ready %v", err)
	}
	for _, c := range []struct {
		flag string
		v    time.Duration
	}{{"ready-timeout", d.ReadyTimeout}, {"watchdog", d.Watchdog}, {"health-interval", d.HealthInterval}} {
		if c.v < 0 {
			return usagef("--%s must not be negative", c.flag)
		}
	}
	if d.HealthThreshold < 0 {
		return usagef("--health-threshold must not be negative")
	}
	if _, _, err := d.HealthProbe(); err != nil {
		return usagef("%v", err)
	}
	socks, err := d.ListenSockets()
	if err != nil {
		return usagef("%v", err)
	}
	if _, err := parseSocketMode(d.SocketMode); err != nil {
		return usagef("--socket-mode %v", err)
	}
	if d.SocketMode != "" || d.SocketUser != "" || d.SocketGroup != "" {
		unixSocket := false
		for _, l := range socks {
			unixSocket = unixSocket || l.Network == "unix"
		}
		if !unixSocket {
			return usagef("--socket-mode, --socket-user and --socket-group apply to unix --listen sockets (--listen unix:///PATH): give one, or leave them out")
		}
	}
	if r.Kind == ReadyFD && r.FD < 3+len(socks) {
		return usagef("--ready fd:%d: descriptors 3 to %d carry the --listen sockets; pick fd:%d or more", r.FD, 2+len(socks), 3+len(socks))
	}
	return nil
}
