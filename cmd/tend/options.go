package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/supervisor"
)

// multiFlag collects a repeatable option.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// defineFlags declares the options of start and run on fs, filling def.
func defineFlags(fs *flag.FlagSet, def *definition.Definition) (envs, envFiles *multiFlag) {
	envs, envFiles = new(multiFlag), new(multiFlag)
	fs.StringVar(&def.Dir, "dir", "", "working directory of the command (default /)")
	fs.Var(envs, "env", "set an environment variable `KEY=VALUE` (repeatable)")
	fs.Var(envFiles, "env-file", "read environment variables from `FILE` (repeatable; KEY=VALUE lines)")
	fs.BoolVar(&def.ClearEnv, "clear-env", false, "start from an empty environment instead of tend's")
	fs.StringVar(&def.User, "user", "", "run the command as `USER` (name or uid; needs root)")
	fs.StringVar(&def.Group, "group", "", "run the command with `GROUP` (default: the user's group)")
	fs.StringVar(&def.Umask, "umask", "", "file mode creation mask, octal (default 022)")
	fs.StringVar(&def.Restart, "restart", "on-failure", "when to restart: always, on-failure or never")
	fs.DurationVar(&def.BackoffInitial, "backoff", 0, "first restart delay; doubles per consecutive crash (default 100ms)")
	fs.DurationVar(&def.BackoffMax, "backoff-max", 0, "longest restart delay (default 30s)")
	fs.DurationVar(&def.BackoffReset, "backoff-reset", 0, "a run this long resets the backoff (default 10s)")
	fs.IntVar(&def.StartLimitBurst, "start-limit", 0, "mark failed after this many starts within --start-limit-interval (default 5; -1: never)")
	fs.DurationVar(&def.StartLimitInterval, "start-limit-interval", 0, "window of --start-limit (default 10s)")
	fs.StringVar(&def.StopSignal, "stop-signal", "", "first signal of the stop schedule (default TERM)")
	fs.StringVar(&def.StopSchedule, "stop-schedule", "", "stop schedule, e.g. TERM/10/KILL/5 (the default)")
	fs.IntVar(&def.Instances, "instances", 0, "run `N` copies of the command (TEND_INSTANCE=0...N-1), sharing the --listen sockets (default 1)")
	fs.StringVar(&def.ReloadSignal, "reload-signal", "", "tend reload sends this `SIGNAL` to the main process instead of starting a new incarnation beside it")
	fs.Var((*multiFlag)(&def.Limits), "limit", "resource limits of the command's processes: `NAME=SOFT[:HARD],...` (nofile, nproc, core, memlock, ...; repeatable)")
	fs.Func("memory-max", "restart the daemon when its processes use more than `SIZE` of memory (512M, 2G)", func(v string) error {
		n, err := definition.ParseSize(v)
		def.MemoryMax = n
		return err
	})
	fs.StringVar(&def.CPUMax, "cpu-max", "", "CPU time the daemon may use, in `PERCENT` of one CPU (50%; cgroup cpu controller)")
	fs.IntVar(&def.PidsMax, "pids-max", 0, "most processes the daemon may have (cgroup pids controller)")
	fs.BoolVar(&def.Critical, "critical", false, "when it fails for good, tend up --foreground stops the others and exits non-zero")
	fs.StringVar(&def.PIDFile, "pidfile", "", "for a command that daemonizes itself: the `FILE` where it writes its main pid (read once its first process exits 0)")
	fs.StringVar(&def.Log, "log", "", "write the output to `FILE` (default output.log in the daemon's folder)")
	fs.Int64Var(&def.LogMaxSize, "log-max-size", 0, "rotate the log at this many bytes (default 10 MiB; -1: never)")
	fs.IntVar(&def.LogMaxFiles, "log-max-files", 0, "rotated log files to keep (default 5)")
	fs.BoolVar(&def.LogCompress, "log-compress", false, "gzip rotated log files")
	fs.BoolVar(&def.NoTimestamps, "no-timestamps", false, "write the output bare: no timestamp or stream name (fastest; logs --since/--stdout/--stderr then cannot filter)")
	defineReadinessFlags(fs, def)
	return envs, envFiles
}

// parseDefinition parses "[options] -- CMD [ARG...]" into a definition for
// name, with paths made absolute and the current environment captured.
func parseDefinition(cmdName, name string, args []string, extra func(*flag.FlagSet)) (*definition.Definition, error) {
	def := &definition.Definition{Name: name}
	fs := flag.NewFlagSet("tend "+cmdName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	envs, envFiles := defineFlags(fs, def)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v (see: tend help %s)", definition.ErrUsage, err, cmdName)
	}
	if def.Name == "" {
		// tend run: --name, else "run" (a --listen socket is named after
		// the daemon by default).
		def.Name = cmdName
		if f := fs.Lookup("name"); f != nil && f.Value.String() != "" {
			def.Name = f.Value.String()
		}
	}
	def.Command = fs.Args()
	if len(def.Command) > 0 && strings.Contains(def.Command[0], "/") && !filepath.IsAbs(def.Command[0]) {
		// ./server means the one here, not one relative to --dir.
		abs, err := filepath.Abs(def.Command[0])
		if err != nil {
			return nil, err
		}
		def.Command = append([]string{abs}, def.Command[1:]...)
	}
	def.Env = *envs
	for _, f := range *envFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		def.EnvFiles = append(def.EnvFiles, abs)
	}
	if !def.ClearEnv {
		def.BaseEnv = withoutTendEnv(os.Environ())
	}
	for _, p := range []*string{&def.Dir, &def.Log, &def.PIDFile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return nil, err
			}
			*p = abs
		}
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	return def, nil
}

// withoutTendEnv drops variables that belong to the supervisor, not to the
// command it runs.
func withoutTendEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "INVOCATION_ID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC",
			"WATCHDOG_PID", "TEND_FOREGROUND", supervisor.CrashPointEnv, status.InvocationEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// flagHelp renders the options of start and run for help output, in the
// --name form users type.
func flagHelp(cmdName string, extra func(*flag.FlagSet)) string {
	fs := flag.NewFlagSet(cmdName, flag.ContinueOnError)
	defineFlags(fs, &definition.Definition{})
	if extra != nil {
		extra(fs)
	}
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if arg == "value" {
			arg = "VALUE"
		}
		if arg != "" && arg != "bool" {
			arg = " " + strings.ToUpper(arg)
		} else {
			arg = ""
		}
		fmt.Fprintf(&b, "  --%s%s\n      %s\n", f.Name, arg, usage)
	})
	return b.String()
}
