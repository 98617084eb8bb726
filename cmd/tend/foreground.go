package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/keeper"
	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/supervisor"
)

// hostHere makes this process the keeper of the state folder root, in
// the foreground (tend up --foreground: a service's main process, a
// container's PID 1): the host runs as its child, the daemons' processes
// are its children, and it reaps every orphan. It returns once the host
// answers, with the function that stops the host (its daemons first) and
// waits for it. A host that runs already (started in the background by
// another tend) is an error: this process must be the daemons' parent.
func hostHere(root string) (stop func(), err error) {
	cfg := client.HostConfig(root)
	lock, err := pidfile.Lock(cfg.PIDFile, 0o644)
	if err != nil {
		var locked *pidfile.LockedError
		if errors.As(err, &locked) {
			return nil, fmt.Errorf("a host already runs for %s (its keeper is pid %d): tend up --foreground must be the host itself; "+
				"stop that one first (tend host stop), or give this one another TEND_HOME", root, locked.PID)
		}
		return nil, err
	}
	lock.Write(os.Getpid())
	self, err := os.Executable()
	if err != nil {
		lock.Remove()
		return nil, err
	}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	kcfg := keeper.Config{
		HostPath: self, HostArgs: []string{"tend", client.HostCommand}, HostLog: cfg.LogFile,
		HostEnv:       append(client.HostEnvOf(os.Environ()), "TEND_HOME="+root),
		FirstHostOnly: []string{supervisor.CrashPointEnv},
		Ready:         func() { close(ready) },
		Logf:          log.New(os.Stderr, "tend keeper: ", log.LstdFlags).Printf,
	}
	done := make(chan error, 1)
	go func() { done <- keeper.Run(ctx, kcfg) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		lock.Remove()
		return nil, fmt.Errorf("the host did not start: %w (see %s)", err, cfg.LogFile)
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		lock.Remove()
		return nil, fmt.Errorf("the host did not answer within 30s (see %s)", cfg.LogFile)
	}
	return func() {
		cancel() // the keeper asks the host to stop its daemons, and exits after it
		<-done
		lock.Remove()
	}, nil
}
