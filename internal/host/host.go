// Package host is tend's resident process: one per state folder
// ($TEND_HOME), it runs the supervisor of every daemon in it and answers
// the CLI on one socket, $TEND_HOME/tend.sock. Its parent is the keeper
// (internal/keeper), which forks and reaps the daemons' processes and
// keeps what must outlive a host; when a host dies the keeper starts a
// new one, which takes every daemon over from its record (see adopt.go).
package host

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/keeper"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/quiet"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
	"github.com/tendhq/tend/internal/watch"
)

// SocketName is the host's socket in the state folder.
const SocketName = "tend.sock"

// socketKey is where the keeper stores the host's listening socket, so
// that connections made while no host runs wait in its backlog.
const socketKey = "host/socket"

// Config is what a host runs with.
type Config struct {
	Store  *state.Store
	Keeper *keeper.Client
	Hello  *keeper.Hello
	// Logf reports what the host does; nil discards it.
	Logf func(format string, args ...any)
	// Version is tend's, for GET /v1/host.
	Version string
}

// Host runs the supervisors of every daemon of a state folder.
type Host struct {
	store     *state.Store
	keeper    *keeper.Client
	reaper    *supervisor.Reaper
	kept      *kept
	self      proc.Identity
	logf      func(format string, args ...any)
	reg       *registry
	watcher   *watch.Watcher // every daemon's folder, and the socket
	events    *broker
	followers *follower       // the supervisors' changes, to publish and see through
	release   *quiet.Releaser // gives memory back after a burst of requests
	srv       *http.Server
	remote    *remote // the API on TCP (tend api listen), when set
	began     time.Time
	version   string
	// quit is closed when Run returns.
	quit chan struct{}
	// ending is closed when the host begins to exit: the streams
	// (events, logs followed) end then, rather than hold up its exit.
	ending chan struct{}
	// upgrade ends Run for an upgrade: the host exits, its daemons run
	// on, and its keeper executes the new program.
	upgrade chan struct{}
}

// Run serves until the keeper goes or ctx is done; the daemons run on
// either way (a host that stops them all is Shutdown's job).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	self, err := proc.Self()
	if err != nil {
		return err
	}
	h := &Host{store: cfg.Store, keeper: cfg.Keeper, self: self, logf: cfg.Logf, reg: newRegistry(), events: newBroker(), followers: newFollower(), release: quiet.New(2 * time.Second),
		began: time.Now(), quit: make(chan struct{}), upgrade: make(chan struct{}, 1), version: cfg.Version}
	h.reaper = supervisor.NewReaper(newKeeperProcesses(cfg.Keeper))
	if h.watcher, err = watch.New(); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	defer h.watcher.Close()
	h.kept = &kept{k: cfg.Keeper, stored: cfg.Hello.Stored}
	ln, err := h.listen()
	if err != nil {
		return err
	}
	h.remote, h.ending = h.resumeRemote(), make(chan struct{}) // the remote before adopt, which closes what nobody takes back
	go h.follow()
	h.adopt(cfg.Hello)
	h.srv = serverTimeouts(&http.Server{Handler: h.routes()})
	defer close(h.quit)
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(limitConns(ln, maxConns, h.logf)) }()
	h.serveRemote()
	go h.keepSocket()
	if err := cfg.Keeper.Serving(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		// Asked to stop (by the keeper, or a user's kill): every daemon
		// first, then the keeper with it.
		h.stopAll()
		cfg.Keeper.Shutdown()
	case <-cfg.Keeper.Closed():
		h.logf("the keeper is gone; the host exits")
	case err := <-served:
		return fmt.Errorf("host: serve %s: %w", h.socketPath(), err)
	case <-h.upgrade:
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	close(h.ending)
	h.remote.shutdown(shut)
	h.srv.Shutdown(shut)
	return nil
}

func (h *Host) socketPath() string { return filepath.Join(h.store.Root(), SocketName) }

// listen returns the host's listening socket: the one the keeper kept, or
// a new one (mode 0600), which it gives the keeper to keep.
func (h *Host) listen() (net.Listener, error) {
	if files := h.kept.Kept(socketKey); len(files) == 1 {
		ln, err := net.FileListener(files[0])
		files[0].Close()
		if err == nil {
			return &peerListener{ln.(*net.UnixListener), os.Geteuid(), h.logf, make(chan struct{}, 16)}, nil
		}
		h.logf("the kept socket is not usable (%v); making a new one", err)
	}
	return h.listenNew()
}

// listenNew makes the host's socket anew, and gives it to the keeper to
// keep (in place of the one it kept).
func (h *Host) listenNew() (net.Listener, error) {
	path := h.socketPath()
	if max := 107; len(path) > max {
		return nil, fmt.Errorf("host: socket path %s is %d bytes, longer than the system limit of %d; "+
			"use a shorter state directory (TEND_HOME)", path, len(path), max)
	}
	// The keeper's lock on the host's pidfile makes this host the only
	// one of the folder: a socket file there is a dead host's.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("host: listen on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // the socket outlives this host, in the keeper
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("host: %w", err)
	}
	if f, err := ln.File(); err == nil {
		h.keeper.Store(socketKey, f)
		f.Close()
	}
	return &peerListener{ln, os.Geteuid(), h.logf, make(chan struct{}, 16)}, nil
}

// stopAll stops every daemon the host runs, all at once, and waits for
// them.
func (h *Host) stopAll() {
	var wg sync.WaitGroup
	for _, name := range h.reg.names() {
		if sup := h.reg.get(name); sup != nil {
			wg.Go(func() {
				sup.Stop(context.Background())
				<-sup.Done()
			})
		}
	}
	wg.Wait()
}

// keepSocket makes the host's socket again when someone removes its file
// (a cleaner of /tmp, a user): without it, tend would find no host, and
// the lock would refuse a second one. The old socket, unreachable, stays
// open.
func (h *Host) keepSocket() {
	changed := make(chan struct{}, 1)
	for {
		w, err := h.watcher.Add(h.store.Root(), []string{SocketName}, watch.Signal(changed))
		if err != nil {
			h.logf("cannot watch %s: %v; the socket is not put back if it is removed", h.socketPath(), err)
			return
		}
		if _, err := os.Lstat(h.socketPath()); err == nil {
			select {
			case <-changed:
				w.Remove()
				continue
			case <-h.quit:
				w.Remove()
				return
			}
		}
		w.Remove()
		ln, err := h.listenNew()
		if err != nil {
			h.logf("the socket was removed and cannot be made again: %v", err)
			return
		}
		h.logf("the socket %s was removed; made it again", h.socketPath())
		go h.srv.Serve(limitConns(ln, maxConns, h.logf))
	}
}
