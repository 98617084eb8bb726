package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults for the flags.
const (
	defaultTarget   = "127.0.0.1"
	defaultInterval = 3 * time.Second
	defaultLog      = "pinglog.log"
	defaultPort     = 80
)

// config is the parsed command line. Parsing is pure (no files, sockets or
// DNS): it runs again in every stage Detach goes through.
type config struct {
	target     string        // host name or IP literal, resolved in the daemon
	interval   time.Duration // time between probe starts
	timeout    time.Duration // how long a probe waits for an answer; ≤ interval
	logPath    string        // absolute; "" means stdout (foreground only)
	pidPath    string        // absolute; "" means no pidfile
	method     string        // "auto", "icmp" or "tcp"
	port       int           // TCP port for the tcp method
	count      int           // stop after this many probes; 0 means never
	foreground bool          // the -foreground flag
	goroutines bool          // add goroutines=N to probe lines
}

const usageText = `Usage: pinglog [flags]

pinglog checks every -interval that -target answers, and appends one line per
check to -log. Without -foreground it detaches: the command returns once the
daemon runs (exit 0) or prints why it could not start (exit 1).

Stop it with SIGTERM (kill $(cat pinglog.pid)); SIGHUP reopens the log after
logrotate has renamed it.

Flags:
`

// parseConfig parses args (without the program name). detached says whether
// Detach would detach for a given -foreground flag (see
// daemon.ForegroundReason); it decides the defaults of -log and -pidfile.
// Relative paths are made absolute against the current directory. The error
// is flag.ErrHelp for -h.
func parseConfig(args []string, stderr io.Writer, detached func(foreground bool) bool) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("pinglog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.target, "target", defaultTarget, "`host` (name or IP address) to probe")
	fs.DurationVar(&c.interval, "interval", defaultInterval, "time between the starts of two probes")
	fs.DurationVar(&c.timeout, "timeout", 0, "how long a probe waits for an answer (default and maximum: -interval)")
	fs.StringVar(&c.logPath, "log", "", "probe log `file`, appended to (default ./"+defaultLog+" when detaching, stdout in the foreground)")
	fs.StringVar(&c.pidPath, "pidfile", "", "`file` holding the pid, locked while running (default: the log's name with .pid, when detaching; none in the foreground; -pidfile= for none)")
	fs.StringVar(&c.method, "method", "auto", "probe `method`: icmp (echo request), tcp (connect to -port), or auto (icmp if permitted, else tcp)")
	fs.IntVar(&c.port, "port", defaultPort, "TCP `port` for the tcp method; a refused connection still proves the host is up")
	fs.IntVar(&c.count, "count", 0, "stop after `N` probes (0: run until stopped)")
	fs.BoolVar(&c.foreground, "foreground", false, "do not detach (also implied under systemd, tend, TEND_FOREGROUND=1 or as PID 1)")
	fs.BoolVar(&c.goroutines, "debug-goroutines", false, "add goroutines=N to every probe line (to check for leaks)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if err := c.check(set["timeout"]); err != nil {
		return config{}, err
	}
	if detached(c.foreground) {
		if c.logPath == "" || c.logPath == "-" {
			if set["log"] {
				return config{}, errors.New("-log: a detached daemon has no stdout; give a file, or use -foreground")
			}
			c.logPath = defaultLog
		}
		if !set["pidfile"] {
			c.pidPath = strings.TrimSuffix(c.logPath, filepath.Ext(c.logPath)) + ".pid"
		}
	} else if c.logPath == "-" {
		c.logPath = ""
	}
	var err error
	if c.logPath, err = absPath(c.logPath); err != nil {
		return config{}, fmt.Errorf("-log: %w", err)
	}
	if c.pidPath, err = absPath(c.pidPath); err != nil {
		return config{}, fmt.Errorf("-pidfile: %w", err)
	}
	return c, nil
}

// check validates the values and fills in the timeout's default.
func (c *config) check(timeoutSet bool) error {
	if c.interval < time.Millisecond {
		return fmt.Errorf("-interval %s: must be at least 1ms", c.interval)
	}
	if !timeoutSet {
		c.timeout = c.interval
	}
	if c.timeout <= 0 || c.timeout > c.interval {
		return fmt.Errorf("-timeout %s: must be positive and at most -interval (%s), so that only one probe is ever in flight", c.timeout, c.interval)
	}
	switch c.method {
	case "auto", "icmp", "tcp":
	default:
		return fmt.Errorf("-method %q: must be auto, icmp or tcp", c.method)
	}
	if c.port < 1 || c.port > 65535 {
		return fmt.Errorf("-port %d: must be 1 to 65535", c.port)
	}
	if c.count < 0 {
		return fmt.Errorf("-count %d: must not be negative", c.count)
	}
	if c.target == "" {
		return errors.New("-target: empty")
	}
	// An IP literal is checked here; a name is resolved by the daemon.
	if a, err := netip.ParseAddr(c.target); err == nil {
		if err := probeable(a); err != nil {
			return fmt.Errorf("-target %s: %w", c.target, err)
		}
	}
	return nil
}

func absPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	return filepath.Abs(p)
}

// args returns the command line that parses back to c when detaching, with
// every default made explicit and every path absolute, for ps to show.
func (c config) args() []string {
	a := []string{
		"-target=" + c.target,
		"-interval=" + c.interval.String(),
		"-timeout=" + c.timeout.String(),
		"-log=" + c.logPath,
		"-pidfile=" + c.pidPath,
		"-method=" + c.method,
		"-port=" + strconv.Itoa(c.port),
		"-count=" + strconv.Itoa(c.count),
	}
	if c.foreground {
		a = append(a, "-foreground")
	}
	if c.goroutines {
		a = append(a, "-debug-goroutines")
	}
	return a
}
