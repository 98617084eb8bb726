package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/host"
	"github.com/tendhq/tend/internal/keeper"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/supervisor"
)

func keeperCommand() *command {
	return &command{
		name:    client.KeeperCommand,
		summary: "(internal) the host's keeper, as tend starts it on demand",
		run:     runKeeper,
	}
}

func hostCommand() *command {
	return &command{
		name:    client.HostCommand,
		summary: "(internal) the host, as its keeper runs it",
		run:     runHost,
	}
}

// runKeeper is the keeper that client.DialHost launches: the daemon
// library detaches it (unless it executed itself again for an upgrade,
// already detached), and it runs the host as its child.
func runKeeper(args []string) int {
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	logger := log.New(os.Stderr, "tend keeper: ", log.LstdFlags)
	cfg := keeper.Config{HostArgs: []string{"tend", client.HostCommand}, Logf: logger.Printf,
		HostLog: client.HostConfig(store.Root()).LogFile, FirstHostOnly: []string{supervisor.CrashPointEnv},
		HostEnv: append(os.Environ(), "TEND_HOME="+store.Root()), Resume: keeper.ResumeFile(args)}
	cfg.HostPath, err = os.Executable()
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	if cfg.Resume == nil {
		d, err := daemon.Detach(client.HostConfig(store.Root()))
		if err != nil {
			return fail(err)
		}
		defer d.Close()
		ctx, cfg.Ready = d.Context(), func() { d.Ready() }
		defer func() {
			if err != nil {
				d.Fail(err)
			}
		}()
	} else {
		// Executed again for an upgrade: exec closed the lock of the
		// keeper's pidfile (close-on-exec), which says that it runs.
		pf, err := pidfile.Lock(client.HostConfig(store.Root()).PIDFile, 0o644)
		if err != nil {
			logger.Printf("upgrade: %v", err)
		} else {
			pf.Write(os.Getpid())
			defer pf.Remove()
		}
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer stop()
	}
	if err = keeper.Run(ctx, cfg); err != nil {
		logger.Print(err)
		return exitFailure
	}
	return exitOK
}

// runHost is the host: its end of the keeper's socket pair on fd 3.
func runHost(args []string) int {
	logger := log.New(os.Stderr, "tend host: ", log.LstdFlags)
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	k, hello, err := keeper.Connect(os.NewFile(keeper.HostFD, "keeper"))
	if err != nil {
		logger.Print(err)
		return exitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err = host.Run(ctx, host.Config{Store: store, Keeper: k, Hello: hello, Logf: logger.Printf})
	if err != nil {
		logger.Print(err)
		return exitFailure
	}
	return exitOK
}
