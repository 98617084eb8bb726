package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

// listenFlag collects --listen into the definition.
type listenFlag struct{ def *definition.Definition }

func (l listenFlag) String() string {
	if l.def == nil {
		return ""
	}
	return strings.Join(l.def.Listen, ",")
}
func (l listenFlag) Set(v string) error { l.def.Listen = append(l.def.Listen, v); return nil }

// defineReadinessFlags declares --ready, --health, --watchdog and --listen.
func defineReadinessFlags(fs *flag.FlagSet, def *definition.Definition) {
	fs.StringVar(&def.Ready, "ready", "exec", "when the daemon is ready: `MODE` exec, notify, fd:N, tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH, file:PATH or after:DURATION")
	fs.DurationVar(&def.ReadyTimeout, "ready-timeout", 0, "how long it may take to become ready (default 60s)")
	fs.DurationVar(&def.Watchdog, "watchdog", 0, "restart it when it sends no WATCHDOG=1 (sd_notify) for this long")
	fs.StringVar(&def.Health, "health", "", "health `PROBE`: tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH or exec:COMMAND")
	fs.DurationVar(&def.HealthInterval, "health-interval", 0, "time between health probes (default 10s)")
	fs.IntVar(&def.HealthThreshold, "health-threshold", 0, "restart after this many failed health probes in a row (default 3)")
	fs.Var(listenFlag{def}, "listen", "bind `SOCKET` ([NAME=]tcp://HOST:PORT or unix:///PATH) and pass it to every incarnation as fd 3... (repeatable)")
}

// logTail prints the last lines of the daemon's log to stderr, for a
// start that failed.
func logTail(def *definition.Definition, path string) {
	if path == "" {
		return
	}
	lines, err := logcap.Tail(path, 10, logcap.Filter{})
	if err != nil || len(lines) == 0 {
		return
	}
	fmt.Fprintf(os.Stderr, "last lines of %s's log (%s):\n", def.Name, path)
	for _, l := range lines {
		fmt.Fprintf(os.Stderr, "  %s\n", l)
	}
}

// runReady waits until the daemon of `tend run` is ready, then tells
// tend's own service manager (READY=1 on its NOTIFY_SOCKET, so that tend
// run works in a Type=notify unit). A daemon that does not become ready is
// stopped: ok is false and code is tend run's exit status.
func runReady(ctx context.Context, s *supervisor.Supervisor, def *definition.Definition) (code int, ok bool) {
	if err := s.WaitReady(ctx); err != nil {
		s.Stop(context.Background())
		s.Wait(context.Background())
		logTail(def, s.Record().Log)
		fmt.Fprintf(os.Stderr, "tend: %v\n", err)
		return exitFailure, false
	}
	if addr := os.Getenv("NOTIFY_SOCKET"); addr != "" {
		notify.Send(addr, "READY=1\nMAINPID="+strconv.Itoa(os.Getpid()))
	}
	return exitOK, true
}

func logPath(dir state.Dir, def *definition.Definition) string {
	if def.Log != "" {
		return def.Log
	}
	return dir.LogFile()
}

// readinessRows adds what sd_notify, the watchdog and the health probe
// said to `tend status`.
func readinessRows(v *client.View, row func(k, format string, args ...any)) {
	if !v.MainAlive {
		return
	}
	if v.Phase != "" {
		row("phase", "%s", v.Phase)
	}
	if v.Adopted != "" {
		row("main process", "pid %d, adopted: %s", v.PID, v.Adopted)
	}
	if v.Errno != 0 {
		row("errno", "%d (%v)", v.Errno, syscall.Errno(v.Errno))
	}
	if !v.WatchdogPing.IsZero() {
		row("watchdog", "last ping %s ago", since(v.WatchdogPing))
	}
	if v.Health != "" {
		row("health", "%s", v.Health)
	}
	if c := v.HealthCheck; c != nil {
		row("last probe", "%s (%s ago)", c.Result, since(c.At))
	}
}
