package definition

import (
	"fmt"
	"strings"
	"time"
)

// Kind is the type of an option's value, which says how it is read from a
// command line or tend.toml and written back.
type Kind int

const (
	// String is one string; an empty one is refused (leave the option out
	// for its default).
	String Kind = iota
	// Bool is a switch: --flag, --flag=false; true or false in tend.toml.
	Bool
	// Int is a count: digits, and -1 where the option allows no limit.
	Int
	// Size is a number of bytes with an optional unit: 10M, 512K, 1G,
	// 1048576 (K, M and G are powers of 1024, as logrotate reads them).
	Size
	// Duration is a number of seconds (10, 2.5) or a duration with units
	// (500ms, 1m30s).
	Duration
	// List is a repeatable string: each --flag adds one; a string or an
	// array of strings in tend.toml.
	List
	// Env is a repeatable KEY=VALUE; in tend.toml also a table.
	Env
)

// String names the kind for help and errors.
func (k Kind) String() string {
	switch k {
	case Bool:
		return "boolean"
	case Int:
		return "integer"
	case Size:
		return "size"
	case Duration:
		return "duration"
	case List:
		return "list of strings"
	case Env:
		return "environment"
	}
	return "string"
}

// Option describes one option of a daemon's definition, once, for every
// place it appears: the flag of `tend start` and `tend run`, the key of
// tend.toml, `tend help`, [Definition.Args] and the systemd export. The
// table is [Options]; nothing else lists the options.
type Option struct {
	// Flag is the option's name on the command line, without dashes
	// ("backoff-max"); its tend.toml key is the same with '_' for '-'.
	Flag string
	// Arg names the value in help ("DURATION"); empty for a Bool.
	Arg  string
	Kind Kind
	// Default is what applies when the option is left out, for help ("30s").
	Default string
	// Help says what the option does, in one line.
	Help string
	// Group is the help section the option is listed in.
	Group string
	// Systemd is what `tend export systemd` makes of the option: the
	// unit settings it sets ("RestartSec="), or empty when systemd has no
	// equivalent and the unit says so in a comment.
	Systemd string
	// NoLimit says that -1 is accepted, meaning "no limit" (Int, Size).
	NoLimit bool
	// TOML is the tend.toml key when it is not Flag with '_' for '-'.
	TOML string
	// field returns a pointer to the option's field of d.
	field func(d *Definition) any
}

// Key returns the option's tend.toml key: Flag with '_' for '-', unless
// the option names another.
func (o *Option) Key() string {
	if o.TOML != "" {
		return o.TOML
	}
	return strings.ReplaceAll(o.Flag, "-", "_")
}

// The help sections of the options, in the order help lists them.
const (
	GroupRun       = "How it runs"
	GroupRestart   = "Restarts"
	GroupStop      = "Stopping and reloading"
	GroupOutput    = "Output"
	GroupReadiness = "Readiness, health and sockets"
	GroupTasks     = "One-shots and schedules"
	GroupHooks     = "Hooks and watch"
)

// Groups lists the help sections in order.
func Groups() []string {
	return []string{GroupRun, GroupTasks, GroupRestart, GroupStop, GroupOutput, GroupReadiness, GroupHooks}
}

// Options returns the table of a definition's options, in help order.
// Each call returns a new table: callers may not change a shared one.
func Options() []*Option {
	return []*Option{
		{Flag: "dir", Arg: "DIR", Kind: String, Group: GroupRun, Systemd: "WorkingDirectory=",
			Default: "the current folder; in tend.toml, the file's folder",
			Help:    "working directory of the command",
			field:   func(d *Definition) any { return &d.Dir }},
		{Flag: "env", Arg: "KEY=VALUE", Kind: Env, Group: GroupRun, Systemd: "Environment=",
			Help:  "set an environment variable (repeatable); kept off the supervisor's command line",
			field: func(d *Definition) any { return &d.Env }},
		{Flag: "env-file", Arg: "FILE", Kind: List, Group: GroupRun, Systemd: "EnvironmentFile=",
			Help:  "read KEY=VALUE lines from FILE at every start (repeatable)",
			field: func(d *Definition) any { return &d.EnvFiles }},
		{Flag: "clear-env", Kind: Bool, Group: GroupRun, Systemd: "(systemd always starts from a clean environment)",
			Help:  "start from an empty environment instead of the caller's",
			field: func(d *Definition) any { return &d.ClearEnv }},
		{Flag: "user", Arg: "USER", Kind: String, Group: GroupRun, Systemd: "User=",
			Help:  "run the command as USER (name or uid; needs root)",
			field: func(d *Definition) any { return &d.User }},
		{Flag: "group", Arg: "GROUP", Kind: String, Group: GroupRun, Systemd: "Group=",
			Default: "USER's group",
			Help:    "run the command with GROUP (with --user)",
			field:   func(d *Definition) any { return &d.Group }},
		{Flag: "umask", Arg: "MODE", Kind: String, Group: GroupRun, Systemd: "UMask=",
			Default: "022",
			Help:    "file mode creation mask, octal",
			field:   func(d *Definition) any { return &d.Umask }},
		{Flag: "instances", Arg: "N", Kind: Int, Group: GroupRun, Systemd: "a template unit, NAME@.service, with TEND_INSTANCE=%i; with --listen, one NAME.service of one instance",
			Default: "1",
			Help:    "run N copies of the command (TEND_INSTANCE=0...N-1 in their environment), sharing the --listen sockets",
			field:   func(d *Definition) any { return &d.Instances }},
		{Flag: "limit", TOML: "limits", Arg: "NAME=SOFT[:HARD],...", Kind: List, Group: GroupRun, Systemd: "LimitNOFILE= and its kin",
			Help:  "resource limits of the command's processes: nofile, nproc, core, memlock, ... (repeatable)",
			field: func(d *Definition) any { return &d.Limits }},
		{Flag: "memory-max", Arg: "SIZE", Kind: Size, Group: GroupRun, Systemd: "MemoryMax=",
			Help:  "restart the daemon when its processes use more than SIZE of memory (512M, 2G)",
			field: func(d *Definition) any { return &d.MemoryMax }},
		{Flag: "cpu-max", Arg: "PERCENT", Kind: String, Group: GroupRun, Systemd: "CPUQuota=",
			Help:  "CPU time the daemon may use, in percent of one CPU (50%; needs the cgroup cpu controller)",
			field: func(d *Definition) any { return &d.CPUMax }},
		{Flag: "pids-max", Arg: "N", Kind: Int, Group: GroupRun, Systemd: "TasksMax=",
			Help:  "most processes the daemon may have (needs the cgroup pids controller)",
			field: func(d *Definition) any { return &d.PidsMax }},
		{Flag: "tty", Kind: Bool, Group: GroupRun,
			Help:  "run the command on a pseudo-terminal, so that it line-buffers its output as on a terminal; the output is still captured",
			field: func(d *Definition) any { return &d.TTY }},
		{Flag: "isolated", Kind: Bool, Group: GroupRun, Systemd: "(each unit is a service of its own)",
			Help:  "supervise it in a process of its own rather than in the host, so that it shares no fate with the other daemons (not under tend up --foreground)",
			field: func(d *Definition) any { return &d.Isolated }},

		{Flag: "oneshot", Kind: Bool, Group: GroupTasks, Systemd: "Type=oneshot, RemainAfterExit=yes",
			Help:  "run the command to completion, once: completed (exit 0) or failed; tend up does not run a completed one again while its definition is the same",
			field: func(d *Definition) any { return &d.Oneshot }},
		{Flag: "every", Arg: "DURATION", Kind: Duration, Group: GroupTasks, Systemd: "a NAME.timer unit: OnUnitActiveSec=",
			Help:  "run the command every DURATION (30s, 1h), never two runs at once (a run due while one runs is skipped)",
			field: func(d *Definition) any { return &d.Every }},
		{Flag: "schedule", Arg: "CRON", Kind: String, Group: GroupTasks, Systemd: "a NAME.timer unit: OnCalendar=",
			Help:  "run the command on a five-field cron line (\"*/5 * * * *\": minute hour day-of-month month day-of-week, or @hourly, @daily...), never two runs at once",
			field: func(d *Definition) any { return &d.Cron }},
		{Flag: "timezone", Arg: "ZONE", Kind: String, Group: GroupTasks, Systemd: "OnCalendar=... ZONE",
			Default: "the host's local time",
			Help:    "the time zone of --schedule (Europe/Paris, UTC)",
			field:   func(d *Definition) any { return &d.Timezone }},
		{Flag: "run-on-start", Kind: Bool, Group: GroupTasks, Systemd: "OnActiveSec=0",
			Help:  "with --every or --schedule: run once at start too, rather than first at the first time due",
			field: func(d *Definition) any { return &d.RunOnStart }},

		{Flag: "critical", Kind: Bool, Group: GroupRestart,
			Help:  "when it fails for good, tend up --foreground stops the others and exits non-zero (a container's PID 1)",
			field: func(d *Definition) any { return &d.Critical }},
		{Flag: "restart", Arg: "POLICY", Kind: String, Group: GroupRestart, Systemd: "Restart=",
			Default: "on-failure",
			Help:    "when to restart the command once it ended: always, on-failure or never",
			field:   func(d *Definition) any { return &d.Restart }},
		{Flag: "backoff", Arg: "DURATION", Kind: Duration, Group: GroupRestart, Systemd: "RestartSec=",
			Default: "100ms",
			Help:    "restart delay after a second crash in a row (the first restart is at once); doubles with each crash",
			field:   func(d *Definition) any { return &d.BackoffInitial }},
		{Flag: "backoff-max", Arg: "DURATION", Kind: Duration, Group: GroupRestart,
			Default: "30s",
			Help:    "longest restart delay",
			field:   func(d *Definition) any { return &d.BackoffMax }},
		{Flag: "backoff-reset", Arg: "DURATION", Kind: Duration, Group: GroupRestart,
			Default: "10s",
			Help:    "a run this long makes the next crash count as the first again",
			field:   func(d *Definition) any { return &d.BackoffReset }},
		{Flag: "start-limit", Arg: "N", Kind: Int, NoLimit: true, Group: GroupRestart, Systemd: "StartLimitBurst=",
			Default: "5",
			Help:    "mark the daemon failed rather than start it more than N times within --start-limit-interval; -1: no limit",
			field:   func(d *Definition) any { return &d.StartLimitBurst }},
		{Flag: "start-limit-interval", Arg: "DURATION", Kind: Duration, Group: GroupRestart, Systemd: "StartLimitIntervalSec=",
			Default: "10s",
			Help:    "the window of --start-limit",
			field:   func(d *Definition) any { return &d.StartLimitInterval }},

		{Flag: "stop-signal", Arg: "SIGNAL", Kind: String, Group: GroupStop, Systemd: "KillSignal=",
			Default: "TERM",
			Help:    "first signal of the stop schedule (name or number)",
			field:   func(d *Definition) any { return &d.StopSignal }},
		{Flag: "stop-schedule", Arg: "SCHEDULE", Kind: String, Group: GroupStop, Systemd: "KillSignal=, TimeoutStopSec=, SendSIGKILL=",
			Default: "TERM/10/KILL/5",
			Help:    "how to stop: signals and how many seconds to wait after each, as in start-stop-daemon --retry",
			field:   func(d *Definition) any { return &d.StopSchedule }},
		{Flag: "reload-signal", Arg: "SIGNAL", Kind: String, Group: GroupStop, Systemd: "ExecReload=",
			Help:  "what tend reload sends to the main process of a program that reloads itself (nginx: HUP), instead of starting a new incarnation beside it",
			field: func(d *Definition) any { return &d.ReloadSignal }},
		{Flag: "pidfile", Arg: "FILE", Kind: String, Group: GroupStop, Systemd: "Type=forking, PIDFile=, Environment=TEND_FOREGROUND=0",
			Help:  "for a command that daemonizes itself: the file where it writes its main pid",
			field: func(d *Definition) any { return &d.PIDFile }},

		{Flag: "log", Arg: "FILE", Kind: String, Group: GroupOutput,
			Default: "output.log in the daemon's folder",
			Help:    "write the command's output to FILE",
			field:   func(d *Definition) any { return &d.Log }},
		{Flag: "log-max-size", Arg: "SIZE", Kind: Size, NoLimit: true, Group: GroupOutput,
			Default: "10M",
			Help:    "rotate the log when it reaches SIZE (bytes, or with a unit: 512K, 10M, 1G); -1: never",
			field:   func(d *Definition) any { return &d.LogMaxSize }},
		{Flag: "log-max-files", Arg: "N", Kind: Int, Group: GroupOutput,
			Default: "5",
			Help:    "rotated log files to keep",
			field:   func(d *Definition) any { return &d.LogMaxFiles }},
		{Flag: "log-compress", Kind: Bool, Group: GroupOutput,
			Help:  "gzip rotated log files",
			field: func(d *Definition) any { return &d.LogCompress }},
		{Flag: "no-timestamps", Kind: Bool, Group: GroupOutput,
			Help:  "write the output bare, without timestamp or stream name (fastest; tend logs then cannot filter or interleave)",
			field: func(d *Definition) any { return &d.NoTimestamps }},

		{Flag: "ready", Arg: "MODE", Kind: String, Group: GroupReadiness, Systemd: "Type=",
			Default: "settled: executed, and then all its processes wait for something, at most 1s",
			Help:    "when the daemon is ready: settled, exec (once executed, not waiting to settle), notify, fd:N, tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH, file:PATH, after:DURATION or log:REGEX (a line of stdout or stderr matches)",
			field:   func(d *Definition) any { return &d.Ready }},
		{Flag: "ready-timeout", Arg: "DURATION", Kind: Duration, Group: GroupReadiness, Systemd: "TimeoutStartSec=",
			Default: "60s",
			Help:    "how long it may take to become ready",
			field:   func(d *Definition) any { return &d.ReadyTimeout }},
		{Flag: "watchdog", Arg: "DURATION", Kind: Duration, Group: GroupReadiness, Systemd: "WatchdogSec=",
			Help:  "restart the daemon when it sends no WATCHDOG=1 (sd_notify) for this long",
			field: func(d *Definition) any { return &d.Watchdog }},
		{Flag: "health", Arg: "PROBE", Kind: String, Group: GroupReadiness,
			Help:  "health probe: tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH or exec:COMMAND",
			field: func(d *Definition) any { return &d.Health }},
		{Flag: "health-interval", Arg: "DURATION", Kind: Duration, Group: GroupReadiness,
			Default: "10s",
			Help:    "time between health probes",
			field:   func(d *Definition) any { return &d.HealthInterval }},
		{Flag: "health-threshold", Arg: "N", Kind: Int, Group: GroupReadiness,
			Default: "3",
			Help:    "restart after this many failed health probes in a row",
			field:   func(d *Definition) any { return &d.HealthThreshold }},
		{Flag: "listen", Arg: "SOCKET", Kind: List, Group: GroupReadiness, Systemd: "a .socket unit: ListenStream=, FileDescriptorName=",
			Help:  "bind SOCKET ([NAME=]tcp://HOST:PORT or unix:///PATH) and pass it to every incarnation as fd 3, 4... (repeatable)",
			field: func(d *Definition) any { return &d.Listen }},
		{Flag: "socket-mode", Arg: "MODE", Kind: String, Group: GroupReadiness, Systemd: "SocketMode=",
			Default: "0666",
			Help:    "file mode of the unix --listen sockets, octal (0660: their owner and group only; connecting takes write permission)",
			field:   func(d *Definition) any { return &d.SocketMode }},
		{Flag: "socket-user", Arg: "USER", Kind: String, Group: GroupReadiness, Systemd: "SocketUser=",
			Default: "the supervisor's user",
			Help:    "owner of the unix --listen sockets (name or uid; needs root)",
			field:   func(d *Definition) any { return &d.SocketUser }},
		{Flag: "socket-group", Arg: "GROUP", Kind: String, Group: GroupReadiness, Systemd: "SocketGroup=",
			Default: "SOCKET-USER's group",
			Help:    "group of the unix --listen sockets (name or gid)",
			field:   func(d *Definition) any { return &d.SocketGroup }},

		{Flag: "on-exit", Arg: "CMD", Kind: String, Group: GroupHooks, Systemd: "ExecStopPost=",
			Help:  "run CMD (/bin/sh -c) after every exit of the main process, with TEND_NAME, TEND_PROJECT, TEND_EXIT_STATUS or TEND_EXIT_SIGNAL, TEND_RESTARTS and TEND_STATE in its environment",
			field: func(d *Definition) any { return &d.OnExit }},
		{Flag: "on-failure", Arg: "CMD", Kind: String, Group: GroupHooks, Systemd: "OnFailure= (a NAME-on-failure.service unit)",
			Help:  "run CMD (/bin/sh -c) when the daemon fails for good (start limit hit, a failed start), with the same environment",
			field: func(d *Definition) any { return &d.OnFailure }},
		{Flag: "hook-timeout", Arg: "DURATION", Kind: Duration, Group: GroupHooks,
			Default: "30s",
			Help:    "kill a hook still running after this long (one hook runs at a time: the next waits for it)",
			field:   func(d *Definition) any { return &d.HookTimeout }},
		{Flag: "watch", Arg: "GLOB", Kind: List, Group: GroupHooks,
			Help:  "restart the daemon when a file that GLOB matches changes (*.py at any depth, src/**/*.go from --dir); reload it instead with --listen and a --ready mode, or --reload-signal (repeatable)",
			field: func(d *Definition) any { return &d.Watch }},
		{Flag: "watch-ignore", Arg: "GLOB", Kind: List, Group: GroupHooks,
			Default: ".git, node_modules, __pycache__ and the daemon's own logs",
			Help:    "leave out the files (and folders) that GLOB matches from --watch (repeatable)",
			field:   func(d *Definition) any { return &d.WatchIgnore }},
		{Flag: "watch-debounce", Arg: "DURATION", Kind: Duration, Group: GroupHooks,
			Default: "300ms",
			Help:    "restart once no watched file has changed for this long, so that a burst of writes restarts once",
			field:   func(d *Definition) any { return &d.WatchDebounce }},
	}
}

// LookupOption returns the option whose flag or tend.toml key is name, or
// nil.
func LookupOption(name string) *Option {
	for _, o := range Options() {
		if o.Flag == name || o.Key() == name {
			return o
		}
	}
	return nil
}

// Set sets the option in d from text as given on a command line; a List
// or Env option gets text added. The error says what the value should look
// like; it does not name the option (the caller does: flag or key).
func (o *Option) Set(d *Definition, text string) error {
	switch p := o.field(d).(type) {
	case *string:
		if text == "" {
			return fmt.Errorf("empty value: give %s, or leave the option out%s", article(o.Arg), o.defaultNote())
		}
		*p = text
	case *bool:
		b, err := parseBool(text)
		if err != nil {
			return err
		}
		*p = b
	case *int:
		n, err := o.parseInt(text)
		if err != nil {
			return err
		}
		*p = int(n)
	case *int64:
		n, err := o.parseInt(text)
		if err != nil {
			return err
		}
		*p = n
	case *time.Duration:
		v, err := ParseDuration(text)
		if err != nil {
			return err
		}
		*p = v
	case *[]string:
		if o.Kind == Env {
			if k, _, ok := strings.Cut(text, "="); !ok || k == "" {
				return fmt.Errorf("%q: want KEY=VALUE", text)
			}
		} else if text == "" {
			return fmt.Errorf("empty value: give %s", article(o.Arg))
		}
		*p = append(*p, text)
	}
	return nil
}

// defaultNote says what leaving the option out means, for errors.
func (o *Option) defaultNote() string {
	if o.Default == "" {
		return ""
	}
	return " for the default (" + o.Default + ")"
}

func (o *Option) parseInt(text string) (int64, error) {
	if o.Kind == Size {
		if o.NoLimit && strings.TrimSpace(text) == "-1" {
			return -1, nil
		}
		n, err := ParseSize(text)
		if err != nil || n < 0 && !(o.NoLimit && n == -1) {
			return 0, fmt.Errorf("%q is not a size: want bytes or a number with a unit, such as 10M, 512K or 1048576%s", text, o.limitNote())
		}
		return n, nil
	}
	var n int64
	_, err := fmt.Sscan(text, &n)
	if err != nil || fmt.Sprint(n) != strings.TrimPrefix(text, "+") || n < 0 && !(o.NoLimit && n == -1) {
		return 0, fmt.Errorf("%q is not a count: want a whole number such as 5%s", text, o.limitNote())
	}
	return n, nil
}

func (o *Option) limitNote() string {
	if o.NoLimit {
		return ", or -1 for no limit"
	}
	return ""
}

// Values returns the option's value in d as command-line texts that Set
// reads back to the same value: none when the option is not set (zero),
// one per element for a List or Env, "true" for a set Bool.
func (o *Option) Values(d *Definition) []string {
	switch p := o.field(d).(type) {
	case *string:
		if *p != "" {
			return []string{*p}
		}
	case *bool:
		if *p {
			return []string{"true"}
		}
	case *int:
		if *p != 0 {
			return []string{fmt.Sprint(*p)}
		}
	case *int64:
		if *p != 0 && o.Kind == Size {
			return []string{FormatSize(*p)}
		}
		if *p != 0 {
			return []string{fmt.Sprint(*p)}
		}
	case *time.Duration:
		if *p != 0 {
			return []string{p.String()}
		}
	case *[]string:
		return append([]string(nil), *p...)
	}
	return nil
}

// IsSet reports whether the option has a value in d other than its zero.
func (o *Option) IsSet(d *Definition) bool { return len(o.Values(d)) > 0 }

func parseBool(text string) (bool, error) {
	switch strings.ToLower(text) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true or false", text)
}

func article(arg string) string {
	if arg == "" {
		return "a value"
	}
	return arg
}
