package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tendhq/tend/daemon"
)

func main() {
	os.Exit(pinglog())
}

// pinglog is main, returning the exit status so that deferred calls run.
func pinglog() int {
	// Everything before Detach runs again in each of its stages: keep it
	// free of side effects (parsing only, no files, no sockets, no DNS).
	detached := func(foreground bool) bool {
		return daemon.ForegroundReason(daemon.Config{Foreground: foreground}) == ""
	}
	cfg, err := parseConfig(os.Args[1:], os.Stderr, detached)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pinglog: %v\n", err)
		return 2
	}
	if detached(cfg.foreground) {
		// Spell out every default and absolute path, so that ps shows
		// what the daemon really uses.
		os.Args = append(os.Args[:1:1], cfg.args()...)
	}
	d, err := daemon.Detach(daemon.Config{
		Name:       "pinglog",
		PIDFile:    cfg.pidPath,
		LogFile:    cfg.logPath, // stdout and stderr, for anything unexpected
		Foreground: cfg.foreground,
		OnReady: func(pid int) {
			fmt.Printf("pinglog: running as pid %d, logging to %s\n", pid, cfg.logPath)
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pinglog: %v\n", err)
		return 1
	}
	// From here on we are the daemon (or in the foreground).
	defer d.Close() // removes the pidfile

	// stop is registered before d.Context() installs its own handler, so
	// every signal that cancels ctx is also delivered to stop, which names
	// it in the last line.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	ctx := d.Context()
	hup := d.Hangup()

	log, err := openLog(cfg.logPath, !d.Foreground())
	if err != nil {
		d.Fail(err)
	}
	defer log.Close()
	fail := func(err error) {
		log.WriteLine(eventLine(time.Now(), "failed to start: %v", err))
		d.Fail(err)
	}
	addr, err := resolveTarget(ctx, cfg.target)
	if err != nil {
		fail(err)
	}
	prober, how, err := newProber(cfg.method, addr, cfg.port)
	if err != nil {
		fail(err)
	}
	defer prober.Close()

	r := &runner{log: log, prober: prober, interval: cfg.interval, timeout: cfg.timeout, count: cfg.count, goroutines: cfg.goroutines}
	target := cfg.target
	if target != addr.String() {
		target += " (" + addr.String() + ")"
	}
	r.event("started: target %s, method %s, interval %s, timeout %s, pid %d", target, how, cfg.interval, cfg.timeout, os.Getpid())
	if err := d.Ready(); err != nil {
		r.event("telling the launcher we are ready: %v", err)
	}
	why := r.run(ctx, stop, hup)
	r.event("stopping: %d probes, %s", r.probes, why)
	return 0
}
