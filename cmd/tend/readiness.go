package main

import (
	"context"
	"os"
	"strconv"
	"syscall"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/supervisor"
)

// runReady waits until the daemon of `tend run` is ready, then tells
// tend's own service manager (READY=1 on its NOTIFY_SOCKET, so that tend
// run works in a Type=notify unit). A daemon that does not become ready is
// stopped: ok is false and code is tend run's exit status.
func runReady(ctx context.Context, s *supervisor.Supervisor, def *definition.Definition) (code int, ok bool) {
	if err := s.WaitReady(ctx); err != nil {
		s.Stop(context.Background())
		s.Wait(context.Background())
		logTail(def.Name, s.Record().Log)
		return fail(err), false
	}
	if addr := os.Getenv("NOTIFY_SOCKET"); addr != "" {
		notify.Send(addr, "READY=1\nMAINPID="+strconv.Itoa(os.Getpid()))
	}
	return exitOK, true
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
