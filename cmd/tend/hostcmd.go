package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/host"
)

func hostUserCommand() *command {
	return &command{
		name:    "host",
		usage:   "status | stop | upgrade",
		summary: "the resident host that runs every daemon: its status, stop, upgrade",
		help: `One host per state folder ($TEND_HOME) runs the supervisor of every daemon
in it, and answers tend on its socket, $TEND_HOME/tend.sock. The first
command that needs it starts it; its keeper, the host's parent, forks and
reaps the daemons' processes and starts the host again at once if it
dies, and the new host takes every daemon over: they run on, and so does
their output.

  tend host status    its pid, its keeper's, since when, its daemons
                      (exit 3 when none runs)
  tend host stop      stop every daemon (as tend stop --all), then the host
  tend host upgrade   run the tend binary now on disk as the host, in place:
                      no daemon is stopped`,
		flags: func() *flagSet { return newFlagSet("host") },
		run:   runHostCommand,
	}
}

func runHostCommand(args []string) int {
	p, code, done := parseArgs(hostUserCommand(), newFlagSet("host"), args)
	if done {
		return code
	}
	if len(p.args) != 1 {
		return fail(usageErr("host", "give what to do: tend host status|stop|upgrade"))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	root := store.Root()
	switch p.args[0] {
	case "status":
		info, err := client.HostInfo(context.Background(), root)
		if client.NoHost(err) {
			fmt.Printf("no host runs for %s (the first tend command that needs one starts it)\n", root)
			return exitStopped
		}
		if err != nil {
			return fail(err)
		}
		fmt.Printf("host: running\n  pid:     %d (its keeper: %d)\n  uptime:  %s (since %s)\n  socket:  %s\n  log:     %s\n  daemons: %d\n",
			info.PID, info.KeeperPID, time.Since(info.StartedAt).Round(time.Second), info.StartedAt.Local().Format("2006-01-02 15:04:05"),
			filepath.Join(root, host.SocketName), client.HostConfig(root).LogFile, info.Daemons)
		return exitOK
	case "stop":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		err := client.StopHost(ctx, root)
		if client.NoHost(err) {
			fmt.Printf("no host runs for %s\n", root)
			return exitOK
		}
		if err != nil {
			return fail(err)
		}
		fmt.Println("stopped the host and its daemons")
		return exitOK
	case "upgrade":
		self, err := os.Executable()
		if err != nil {
			return fail(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		info, err := client.UpgradeHost(ctx, root, self)
		if client.NoHost(err) {
			fmt.Printf("no host runs for %s: the next one starts from %s\n", root, self)
			return exitOK
		}
		if err != nil {
			return fail(err)
		}
		fmt.Printf("upgraded the host to %s (pid %d, its keeper %d); %s taken over\n", self, info.PID, info.KeeperPID,
			plural(info.Daemons, "1 daemon", fmt.Sprintf("%d daemons", info.Daemons)))
		return exitOK
	}
	return fail(usageErr("host", "unknown host command %q: tend host status|stop|upgrade", p.args[0]))
}
