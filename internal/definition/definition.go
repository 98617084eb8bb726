package definition

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/envfile"
	"github.com/tendhq/tend/internal/proc"
)

// Definition is everything tend needs to run one daemon: the command and
// the options of `tend start`. It is stored as definition.json in the
// daemon's folder (mode 0600: it holds the environment), so that restart
// starts the same thing again.
type Definition struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
	// Dir is the child's working directory, absolute; "" means "/".
	Dir string `json:"dir,omitzero"`
	// BaseEnv is the environment tend start was called with (empty with
	// ClearEnv); EnvFiles and Env are applied on top, in that order, at
	// every start.
	BaseEnv  []string `json:"base_env,omitzero"`
	ClearEnv bool     `json:"clear_env,omitzero"`
	EnvFiles []string `json:"env_files,omitzero"`
	Env      []string `json:"env,omitzero"`
	User     string   `json:"user,omitzero"`
	Group    string   `json:"group,omitzero"`
	// Umask is an octal string such as "022"; "" means 022.
	Umask string `json:"umask,omitzero"`

	Restart            string        `json:"restart"`
	BackoffInitial     time.Duration `json:"backoff_initial,omitzero"`
	BackoffMax         time.Duration `json:"backoff_max,omitzero"`
	BackoffReset       time.Duration `json:"backoff_reset,omitzero"`
	StartLimitBurst    int           `json:"start_limit_burst,omitzero"`
	StartLimitInterval time.Duration `json:"start_limit_interval,omitzero"`
	StopSignal         string        `json:"stop_signal,omitzero"`
	StopSchedule       string        `json:"stop_schedule,omitzero"`

	// Log is the output log file; "" means output.log in the daemon's folder.
	Log          string `json:"log,omitzero"`
	LogMaxSize   int64  `json:"log_max_size,omitzero"`
	LogMaxFiles  int    `json:"log_max_files,omitzero"`
	LogCompress  bool   `json:"log_compress,omitzero"`
	NoTimestamps bool   `json:"no_timestamps,omitzero"`

	// Readiness, health and socket handoff; see readiness.go.
	// Ready is the readiness mode ("" means exec) and ReadyTimeout how
	// long each incarnation has to become ready (0 means 60s).
	Ready        string        `json:"ready,omitzero"`
	ReadyTimeout time.Duration `json:"ready_timeout,omitzero"`
	// Watchdog, if set, restarts a daemon that has not sent WATCHDOG=1 over
	// sd_notify for that long.
	Watchdog time.Duration `json:"watchdog,omitzero"`
	// Health is a probe run every HealthInterval (0 means 10s); after
	// HealthThreshold (0 means 3) failures in a row the daemon is
	// restarted.
	Health          string        `json:"health,omitzero"`
	HealthInterval  time.Duration `json:"health_interval,omitzero"`
	HealthThreshold int           `json:"health_threshold,omitzero"`
	// PIDFile names the file in which a command that daemonizes itself
	// (nginx, a classic double-forking daemon) writes the pid of its real
	// main process. It is read after the command's first process exits
	// with status 0, and accepted only if it names one of the daemon's
	// processes. Without it, the one process left is adopted when there is
	// exactly one (see the supervisor's package doc).
	PIDFile string `json:"pidfile,omitzero"`
	// Instances is how many copies of the command run under the one
	// supervisor, each with TEND_INSTANCE=0...N-1 in its environment and
	// the --listen sockets shared (the kernel spreads connections); 0
	// means 1. Each is restarted, probed and logged on its own.
	Instances int `json:"instances,omitzero"`
	// Limits are resource limits of the daemon's processes (--limit
	// nofile=4096,core=0: see ParseLimits), set before the command runs.
	Limits []string `json:"limits,omitzero"`
	// MemoryMax restarts the daemon when its processes use more memory
	// than that many bytes; CPUMax ("50%": of one CPU) and PidsMax bound
	// its CPU time and processes. Enforced by the daemon's cgroup where it
	// has the controller (memory.max, cpu.max, pids.max); MemoryMax is
	// otherwise checked every second.
	MemoryMax int64  `json:"memory_max,omitzero"`
	CPUMax    string `json:"cpu_max,omitzero"`
	PidsMax   int    `json:"pids_max,omitzero"`
	// Critical: when this daemon fails for good, tend up --foreground
	// brings the others down and exits non-zero (a container's PID 1
	// whose orchestrator restarts it).
	Critical bool `json:"critical,omitzero"`
	// ReloadSignal, if set, is what tend reload sends to the main process
	// of a program that reloads itself (nginx: HUP) instead of starting a
	// new incarnation beside the running one.
	ReloadSignal string `json:"reload_signal,omitzero"`
	// Listen are sockets the supervisor binds and hands to every
	// incarnation: [NAME=]tcp://HOST:PORT or [NAME=]unix:///PATH.
	Listen []string `json:"listen,omitzero"`
	// SocketMode is the mode of the unix Listen sockets' files, octal
	// ("0660"); "" means 0666, as systemd's SocketMode=: every user may
	// connect, the daemon's --user too. SocketUser and SocketGroup own
	// them ("": the supervisor's user, and SocketUser's group).
	SocketMode  string `json:"socket_mode,omitzero"`
	SocketUser  string `json:"socket_user,omitzero"`
	SocketGroup string `json:"socket_group,omitzero"`
	// TTY runs the command with its stdout and stderr on pseudo-terminals
	// whose output is captured as a pipe's would be (see tty.go).
	TTY bool `json:"tty,omitzero"`
	// Isolated runs the daemon under a supervisor process of its own
	// rather than in the user's host: it shares no process, and so no
	// fate, with the other daemons.
	Isolated bool `json:"isolated,omitzero"`
	// OnExit and OnFailure are shell lines (/bin/sh -c) run after every
	// exit of the main process, and when the daemon fails for good; each
	// run is bounded by HookTimeout (0 means 30s). See hooks.go.
	OnExit      string        `json:"on_exit,omitzero"`
	OnFailure   string        `json:"on_failure,omitzero"`
	HookTimeout time.Duration `json:"hook_timeout,omitzero"`
	// Watch are globs of files whose change restarts the daemon (reloads
	// it, with --listen and a --ready mode, or --reload-signal), after
	// WatchDebounce (0 means 300ms) without another change;
	// WatchIgnore are globs left out. See watch.go.
	Watch         []string      `json:"watch,omitzero"`
	WatchIgnore   []string      `json:"watch_ignore,omitzero"`
	WatchDebounce time.Duration `json:"watch_debounce,omitzero"`

	// Tasks (see tasks.go): Oneshot runs the command to completion
	// (completed, or failed), once; Every or Cron (with Timezone) runs it
	// on a schedule, never twice at once, first at once with RunOnStart.
	Oneshot    bool          `json:"oneshot,omitzero"`
	Every      time.Duration `json:"every,omitzero"`
	Cron       string        `json:"schedule,omitzero"`
	Timezone   string        `json:"timezone,omitzero"`
	RunOnStart bool          `json:"run_on_start,omitzero"`

	// Project and Source say where `tend up` brought the daemon up from:
	// the project's name (tend up -p, by default the name of the file's
	// folder) and the file's absolute path. EnvDigest is a digest of its
	// env files' contents then, so that editing one counts as a change.
	// All three are empty for a daemon started with tend start; they are
	// not options (see Options).
	Project   string `json:"project,omitzero"`
	Source    string `json:"source,omitzero"`
	EnvDigest string `json:"env_digest,omitzero"`
}

// ErrUsage is wrapped by errors in a definition that the user must fix in
// the command line (exit status 2).
var ErrUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// Validate checks the definition without starting anything, so that a bad
// option is a usage error that creates nothing.
func (d *Definition) Validate() error {
	if len(d.Command) == 0 || d.Command[0] == "" {
		return usagef("no command given; put it after --, as in: tend start %s -- sleep 60", d.Name)
	}
	if d.Dir != "" && !filepath.IsAbs(d.Dir) {
		return usagef("--dir %q must be absolute", d.Dir)
	}
	if _, err := ParseRestartPolicy(d.restart()); err != nil {
		return usagef("--restart: %v", err)
	}
	if _, err := d.umask(); err != nil {
		return usagef("--umask: %v", err)
	}
	if _, err := d.Schedule(); err != nil {
		return usagef("%v", err)
	}
	if d.Instances < 0 || d.Instances > MaxInstances {
		return usagef("--instances %d: give a count from 1 to %d", d.Instances, MaxInstances)
	}
	if _, err := ParseLimits(d.Limits); err != nil {
		return usagef("%v", err)
	}
	if d.MemoryMax < 0 || d.PidsMax < 0 {
		return usagef("--memory-max and --pids-max must not be negative")
	}
	if _, err := CPUQuota(d.CPUMax); err != nil {
		return usagef("--cpu-max %v", err)
	}
	if d.ReloadSignal != "" {
		if _, err := proc.ParseSignal(d.ReloadSignal); err != nil {
			return usagef("--reload-signal: %v", err)
		}
	}
	if d.PIDFile != "" && !filepath.IsAbs(d.PIDFile) {
		return usagef("--pidfile %q must be absolute", d.PIDFile)
	}
	if err := d.checkRanges(); err != nil {
		return err
	}
	if d.Group != "" && d.User == "" {
		return usagef("--group needs --user")
	}
	for _, kv := range d.Env {
		if k, _, ok := cutEnv(kv); !ok || k == "" {
			return usagef("--env %q: want KEY=VALUE", kv)
		}
	}
	if err := d.checkStrings(); err != nil {
		return err
	}
	if err := d.checkSize(); err != nil {
		return err
	}
	if err := d.validateTask(); err != nil {
		return err
	}
	if err := d.validateHooks(); err != nil {
		return err
	}
	if err := d.validateWatch(); err != nil {
		return err
	}
	return d.validateReadiness()
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

func (d *Definition) restart() string {
	if d.Restart == "" && d.Task() {
		return "never" // a task runs to completion
	}
	if d.Restart == "" {
		return "on-failure"
	}
	return d.Restart
}

func (d *Definition) umask() (fs.FileMode, error) {
	if d.Umask == "" {
		return 0o022, nil
	}
	n, err := strconv.ParseUint(d.Umask, 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not an octal mode such as 022", d.Umask)
	}
	return fs.FileMode(n), nil
}

// Schedule returns the stop schedule: StopSchedule, with its signals
// replaced by StopSignal where only a timeout was given.
func (d *Definition) Schedule() (Schedule, error) {
	sched := DefaultSchedule()
	if d.StopSchedule != "" {
		s, err := ParseSchedule(d.StopSchedule)
		if err != nil {
			return nil, fmt.Errorf("--stop-schedule: %w", err)
		}
		sched = s
	}
	if d.StopSignal != "" {
		sig, err := proc.ParseSignal(d.StopSignal)
		if err != nil {
			return nil, fmt.Errorf("--stop-signal: %w", err)
		}
		sched[0].Signal = sig
	}
	return sched, nil
}

// Environment returns the child's environment: BaseEnv, then the env
// files, then Env, later entries replacing earlier ones of the same key.
func (d *Definition) Environment() ([]string, error) {
	var all []string
	all = append(all, d.BaseEnv...)
	for _, path := range d.EnvFiles {
		kvs, err := envfile.ParseFile(path)
		if err != nil {
			return nil, err
		}
		all = append(all, kvs...)
	}
	all = append(all, d.Env...)
	return dedupEnv(all), nil
}

func dedupEnv(env []string) []string {
	index := map[string]int{}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := cutEnv(kv)
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// Policy returns the parsed restart policy (on-failure if it does not
// parse: Validate has refused it already).
func (d *Definition) Policy() RestartPolicy {
	p, _ := ParseRestartPolicy(d.restart())
	return p
}

// Backoff returns the restart delays.
func (d *Definition) Backoff() Backoff {
	return Backoff{Initial: d.BackoffInitial, Max: d.BackoffMax, Reset: d.BackoffReset}
}

// StartLimit returns the start limit.
func (d *Definition) StartLimit() StartLimit {
	return StartLimit{Burst: d.StartLimitBurst, Interval: d.StartLimitInterval}
}

// UmaskMode returns the child's umask (022 when unset).
func (d *Definition) UmaskMode() fs.FileMode {
	m, err := d.umask()
	if err != nil {
		return 0o022
	}
	return m
}

// Args returns the options and command of `tend start` that produce this
// definition again (the environment aside: BaseEnv is the caller's to set;
// and the project, which is tend up's). Each option of Options that is set
// gives one --flag=value (one per element of a list).
func (d *Definition) Args() []string {
	var a []string
	for _, o := range Options() {
		for _, v := range o.Values(d) {
			if o.Kind == Bool {
				a = append(a, "--"+o.Flag)
			} else {
				a = append(a, "--"+o.Flag+"="+v)
			}
		}
	}
	return append(append(a, "--"), d.Command...)
}

// SetEnv returns env with key set to value, replacing an earlier entry.
func SetEnv(env []string, key, value string) []string {
	return dedupEnv(append(append([]string{}, env...), key+"="+value))
}

// checkRanges refuses numbers that mean nothing: negative delays, sizes and
// counts (-1 is "no limit" where the option says so).
func (d *Definition) checkRanges() error {
	for _, c := range []struct {
		flag string
		v    time.Duration
	}{
		{"backoff", d.BackoffInitial}, {"backoff-max", d.BackoffMax}, {"backoff-reset", d.BackoffReset},
		{"start-limit-interval", d.StartLimitInterval},
	} {
		if c.v < 0 {
			return usagef("--%s %v: must not be negative", c.flag, c.v)
		}
	}
	if d.StartLimitBurst < -1 {
		return usagef("--start-limit %d: give a count, or -1 for no limit", d.StartLimitBurst)
	}
	if d.LogMaxSize < -1 {
		return usagef("--log-max-size %d: give a size in bytes, or -1 to never rotate", d.LogMaxSize)
	}
	if d.LogMaxFiles < 0 {
		return usagef("--log-max-files %d: must not be negative", d.LogMaxFiles)
	}
	return nil
}

// Program returns the command's program: Command[0], looked up when it has
// no slash in the PATH of env (the child's environment; the caller's PATH
// when env sets none), so that `--env PATH=...` is honoured. A program not
// found is returned as given: starting it says why.
func (d *Definition) Program(env []string) string {
	path := d.Command[0]
	if strings.Contains(path, "/") {
		return path
	}
	pathVar := os.Getenv("PATH")
	for _, kv := range env {
		if k, v, _ := cutEnv(kv); k == "PATH" {
			pathVar = v
		}
	}
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, path)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return path
}

// checkStrings refuses what exec(2) cannot carry (a NUL byte, an argument
// or environment string of MaxArgLen bytes or more) and control
// characters in options that name files or probes.
func (d *Definition) checkStrings() error {
	limit := MaxArgLen()
	tooLong := func(what, s string) error {
		return usagef("%s is %d bytes: the system passes at most %d in one argument or environment string; "+
			"pass it in a file instead (--env-file, or a file the command reads)", what, len(s), limit)
	}
	for i, a := range d.Command {
		if strings.IndexByte(a, 0) >= 0 {
			return usagef("argument %d of the command holds a NUL byte, which no command line can carry", i)
		}
		if limit > 0 && len(a) >= limit {
			return tooLong(fmt.Sprintf("argument %d of the command", i), a)
		}
	}
	for _, kv := range d.Env {
		k, _, _ := cutEnv(kv)
		if strings.IndexByte(kv, 0) >= 0 {
			return usagef("--env %s holds a NUL byte, which no environment can carry", k)
		}
		if limit > 0 && len(kv) >= limit {
			return tooLong("--env "+k, kv)
		}
	}
	for _, o := range []struct{ flag, v string }{
		{"dir", d.Dir}, {"log", d.Log}, {"pidfile", d.PIDFile}, {"user", d.User}, {"group", d.Group},
		{"ready", d.Ready}, {"health", d.Health}, {"stop-schedule", d.StopSchedule},
		{"socket-user", d.SocketUser}, {"socket-group", d.SocketGroup},
	} {
		if i := strings.IndexFunc(o.v, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
			return usagef("--%s %q holds a control character", o.flag, o.v)
		}
	}
	for _, l := range d.Listen {
		if strings.IndexFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return usagef("--listen %q holds a control character", l)
		}
	}
	return nil
}

// MaxInstances bounds --instances.
const MaxInstances = 256

// InstanceCount is how many instances run: Instances, or 1.
func (d *Definition) InstanceCount() int { return max(d.Instances, 1) }
