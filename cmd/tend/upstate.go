package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/envfile"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// What tend up keeps of each daemon, how it compares definitions, and the
// order in which it acts on them. A daemon brought up from a file has the
// file, its project and a digest of its env files in its definition
// (Definition.Source, Project, EnvDigest), which its supervisor stores
// under its lock: nothing else is written in a daemon's folder.

// envDigest hashes the env files' contents, so that editing one counts as
// a change of the definition.
func envDigest(files []string) string {
	if len(files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, f := range files {
		b, err := envfile.ReadFile(f)
		if err != nil {
			b = []byte("\x00missing")
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// expected is the definition `tend start` would store for d: its options
// rendered and parsed again the way tend start parses them, under its
// name in the project, with the project's marks. Its --listen sockets are
// named after d as the file names it (LISTEN_FDNAMES=web, not shop.web).
func (u *upper) expected(d *config.Daemon) (*definition.Definition, error) {
	src := d.Definition
	src.Listen = nil
	for _, l := range d.Definition.Listen {
		if ls, err := definition.ParseListen(l, d.Name); err == nil && !strings.Contains(strings.SplitN(l, "://", 2)[0], "=") {
			l = ls.Name + "=" + l
		}
		src.Listen = append(src.Listen, l)
	}
	def, err := parseDefinition(u.name(d), src.Args())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	def.Project, def.Source, def.EnvDigest = u.project, u.file.Path, envDigest(def.EnvFiles)
	if n, ok := u.formation.count(d.Name); ok {
		def.Instances = n
	}
	return def, nil
}

// changes names the fields in which two definitions differ: those a
// reload applies, and the others (definition.Definition.Changes), by
// their JSON names ("env file contents" for the env files' digest).
// BaseEnv, the environment of whoever ran tend up or tend start, is not
// compared.
func changes(old, new *definition.Definition) (reloadable, other []string) {
	prev, next := *old, *new
	next.BaseEnv = old.BaseEnv
	// 0 and 1 instance are the same.
	prev.Instances, next.Instances = old.InstanceCount(), new.InstanceCount()
	reloadable, other = prev.Changes(&next)
	for i, f := range reloadable {
		if f == "env_digest" {
			reloadable[i] = "env file contents"
		}
	}
	return reloadable, other
}

// owner says whose a stored definition is, for a daemon that is not the
// file's: "" if it is ours.
func (u *upper) owner(old *definition.Definition) string {
	switch {
	case old.Source == u.file.Path && old.Project == u.project:
		return ""
	case old.Source == "":
		return "it was started with tend start, not from " + u.file.Path
	case old.Project != u.project:
		return fmt.Sprintf("it belongs to project %s (%s)", old.Project, old.Source)
	}
	return "it was brought up from " + old.Source
}

// notOurs is the error for a daemon of the file's name that belongs to
// someone else: it is left alone.
func (u *upper) notOurs(name, whose string) error {
	return fmt.Errorf("%w: %s, and is left alone; to take it over: tend stop %s && tend rm %s, then tend up again; "+
		"or bring this file up as another project: tend up -p NAME", errNotOurs, whose, name, name)
}

// bringUp starts, restarts or leaves alone one daemon, and says which.
func (u *upper) bringUp(d *config.Daemon, want *definition.Definition) error {
	if u.foreground && want.Isolated {
		w := *want
		w.Isolated = false
		want = &w
	}
	name := u.name(d)
	dir, existed, err := daemonFolder(u.store, name, !client.UseHost() || want.Isolated)
	if err != nil {
		return err
	}
	// Another tend up of the same file may be at work on it: after a
	// start refused as already running, look again.
	for try := 0; ; try++ {
		v, old, err := u.current(dir, client.ReadyVerdictTimeout(want))
		if err != nil {
			return err
		}
		if old != nil {
			if whose := u.owner(old); whose != "" {
				return u.notOurs(name, whose)
			}
		}
		action, detail := "started", ""
		if done := u.completedAlready(v, old, want); done != "" {
			u.report(name, "%s", done)
			return nil
		}
		if v != nil && (v.SupervisorAlive || len(v.Leftovers) > 0) {
			var why []string
			switch {
			case !v.SupervisorAlive:
				why = []string{"its supervisor was gone"}
			case old == nil:
				why = []string{"no stored definition"}
			default:
				var other []string
				why, other = changes(old, want)
				if len(why) == 0 && slices.Equal(other, []string{"instances"}) {
					// Only the number of instances (-m): scale.
					return u.scale(name, dir, want)
				}
				reload := len(why) > 0 && len(other) == 0 && len(want.Listen) > 0 && !u.noReload
				if client.UseHost() && !old.Isolated && !want.Isolated && len(why)+len(other) > 0 {
					// The host applies the change only if the new version
					// works: otherwise the old one runs (again).
					return u.replace(name, dir, want, append(why, other...), reload)
				}
				if reload {
					// Only the command or its environment changed, and it
					// serves sockets: the new one is ready before the old
					// one goes.
					return u.reload(name, dir, want, why)
				}
				why = append(why, other...)
			}
			if len(why) == 0 {
				u.report(name, "unchanged (%s)", upState(v))
				return nil
			}
			if _, err := client.Stop(context.Background(), dir); err != nil && !errors.Is(err, client.ErrNotRunning) {
				return fmt.Errorf("stop to restart: %w", err)
			}
			action, detail = "restarted", "; changed: "+strings.Join(why, ", ")
		}
		s, err := startDaemon(context.Background(), dir, want)
		if errors.Is(err, daemon.ErrAlreadyRunning) && try < 3 {
			continue // started meanwhile, by another tend up: compare with it
		}
		if err != nil {
			var se *startError
			if errors.As(err, &se) {
				printLines(fmt.Sprintf("last lines of %s's stderr (%s):", name, se.log), se.stderr)
			} else if !existed && neverRan(dir) {
				forget(u.store, dir)
			}
			if errors.Is(err, daemon.ErrAlreadyRunning) {
				return alreadyRunning(dir)
			}
			return errors.New(userMessage(err))
		}
		if action == "started" {
			u.mu.Lock()
			if u.started == nil {
				u.started = map[string]bool{}
			}
			u.started[d.Name] = true
			u.mu.Unlock()
		}
		if what, note := taskState(dir, want); what != "" {
			u.report(name, "%s (%s%s)", what, note, detail)
		} else {
			u.report(name, "%s (pid %d%s%s)", action, s.PID, detail, s.Note())
		}
		bufferingHint(want, u.file.Path)
		return nil
	}
}

// scale applies a changed number of instances to a running daemon: those
// that run go on.
func (u *upper) scale(name string, dir state.Dir, want *definition.Definition) error {
	n := want.InstanceCount()
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(want))
	defer cancel()
	if err := client.Scale(ctx, dir, n); err != nil {
		return fmt.Errorf("scale to %d: %w", n, err)
	}
	if n == 1 {
		u.report(name, "scaled to 1 instance")
	} else {
		u.report(name, "scaled to %d instances", n)
	}
	return nil
}

// replace has the host bring a running daemon to want: with reload, the
// new version serves before the old one goes; otherwise the old one stops
// first. A new version that does not become ready (settled, by default)
// changes nothing: the old one runs (again), with its definition, and
// the next tend up tries again.
func (u *upper) replace(name string, dir state.Dir, want *definition.Definition, why []string, reload bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*client.ReadyVerdictTimeout(want)*time.Duration(want.InstanceCount()))
	defer cancel()
	pid, err := client.Replace(ctx, dir, launchable(want), reload)
	if err != nil {
		var he *client.HostError
		if errors.As(err, &he) && he.Body.Log != "" {
			logTail(name, he.Body.Log)
		}
		return err
	}
	action := "restarted"
	if reload {
		action = "reloaded"
	}
	u.report(name, "%s (pid %d; changed: %s)", action, pid, strings.Join(why, ", "))
	bufferingHint(want, u.file.Path)
	return nil
}

// reload applies a changed command or environment to a running daemon
// that serves --listen sockets with tend reload: the new incarnation is
// ready before the old one goes, and one that fails leaves the old one
// serving.
func (u *upper) reload(name string, dir state.Dir, want *definition.Definition, why []string) error {
	if err := state.WriteJSON(dir.DefinitionFile(), launchable(want), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), client.ReadyVerdictTimeout(want)*time.Duration(want.InstanceCount()))
	defer cancel()
	pid, err := client.Reload(ctx, dir)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	u.report(name, "reloaded (pid %d; changed: %s)", pid, strings.Join(why, ", "))
	return nil
}

// current returns the daemon's view and stored definition, as the user
// gave it; both nil for a daemon that never ran. A supervisor that is
// starting (another tend up's) is waited for, at most as long as a start
// may take: it stores its definition first, and is up or not once its
// start is over.
func (u *upper) current(dir state.Dir, wait time.Duration) (*client.View, *definition.Definition, error) {
	deadline := time.Now().Add(wait)
	for {
		v, err := client.Inspect(dir)
		if errors.Is(err, client.ErrUnknown) {
			v, err = nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		old, ok := definitionOf(dir)
		if !ok {
			old = nil
		}
		starting := v != nil && v.SupervisorAlive && (old == nil || v.Condition == client.Condition(status.Starting))
		if !starting || time.Now().After(deadline) {
			return v, old, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// upState says how a daemon left alone is: "pid 4100", or its state.
func upState(v *client.View) string {
	if v.MainAlive && v.PID > 0 {
		if v.Condition == client.Condition(status.Running) {
			return fmt.Sprintf("pid %d", v.PID)
		}
		return fmt.Sprintf("pid %d, %s", v.PID, v.Condition)
	}
	return string(v.Condition)
}

// stopRemoved stops the daemons brought up from this file, in its
// project, that it no longer lists.
func (u *upper) stopRemoved() int {
	all, err := u.store.List()
	if err != nil {
		return fail(err)
	}
	code := exitOK
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range all {
		old, ok := loadDefinition(u.store, name)
		if !ok || old.Source != u.file.Path || old.Project != u.project {
			continue
		}
		short := strings.TrimPrefix(name, u.project+projectSeparator)
		if u.file.Daemon(short) != nil && u.name(u.file.Daemon(short)) == name {
			continue
		}
		dir, err := u.store.Dir(name)
		if err != nil {
			continue
		}
		wg.Go(func() {
			how, err := client.Stop(context.Background(), dir)
			switch {
			case errors.Is(err, client.ErrNotRunning):
			case err != nil:
				u.report(name, "not stopped: %s", userMessage(err))
				mu.Lock()
				code = exitFailure
				mu.Unlock()
			default:
				u.report(name, "stopped (removed from %s): %s", u.file.Name, how)
			}
		})
	}
	wg.Wait()
	return code
}

// stop stops one daemon of the file, if it is the file's.
func (u *upper) stop(d *config.Daemon) error {
	name := u.name(d)
	dir, err := u.store.Dir(name)
	if err != nil {
		return err
	}
	if old, ok := definitionOf(dir); ok {
		if whose := u.owner(old); whose != "" {
			return u.notOurs(name, whose)
		}
	}
	how, err := client.Stop(context.Background(), dir)
	switch {
	case errors.Is(err, client.ErrNotRunning), errors.Is(err, client.ErrUnknown):
		if v, ierr := client.Inspect(dir); ierr == nil && v.LastExit != nil {
			u.report(name, "not running (%s, %s ago)", v.LastExit.Description, since(v.LastExit.At))
		} else {
			u.report(name, "not running")
		}
		return nil
	case err != nil:
		return errors.New(userMessage(err))
	}
	u.report(name, "stopped: %s", how)
	return nil
}

// maxParallel bounds how many daemons up and down handle at once.
const maxParallel = 8

// runGraph runs do for every daemon of order (which lists every daemon
// after those deps names for it), each once do has returned for its deps,
// independent ones in parallel. A daemon whose deps failed is skipped.
// With a gate, the gate waits for each dep instead (done is closed once
// do has returned for it, errOf then says how) and holds the daemon back
// when it returns an error. Failures are reported under the daemon's name
// and returned by name.
func runGraph(order []*config.Daemon, deps func(*config.Daemon) []string, do func(*config.Daemon) error,
	nameOf func(*config.Daemon) string, report func(name, format string, args ...any), gate gateFunc) map[string]error {
	done := map[string]chan struct{}{}
	for _, d := range order {
		done[d.Name] = make(chan struct{})
	}
	var mu sync.Mutex
	errs := map[string]error{}
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for _, d := range order {
		wg.Go(func() {
			defer close(done[d.Name])
			var failed []string
			var held error
			for _, dep := range deps(d) {
				if ch, ok := done[dep]; ok && gate != nil {
					err := gate(d, dep, ch, func() error {
						mu.Lock()
						defer mu.Unlock()
						return errs[dep]
					})
					if err != nil && held == nil {
						held = err
					}
				} else if ok {
					<-ch
					mu.Lock()
					if errs[dep] != nil {
						failed = append(failed, dep)
					}
					mu.Unlock()
				}
			}
			var err error
			if held != nil {
				err = held
				report(nameOf(d), "%v", err)
			} else if len(failed) > 0 {
				err = fmt.Errorf("skipped: %s failed", strings.Join(failed, ", "))
				report(nameOf(d), "%v", err)
			} else {
				sem <- struct{}{}
				err = do(d)
				<-sem
				switch {
				case errors.Is(err, errNotOurs):
					report(nameOf(d), "not this project's: %s", strings.TrimPrefix(err.Error(), errNotOurs.Error()+": "))
				case err != nil:
					report(nameOf(d), "failed: %s", userMessage(err))
				}
			}
			mu.Lock()
			if err != nil {
				errs[d.Name] = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return errs
}

// sdNotify sends state to the service manager, if tend runs under one.
func sdNotify(msg string) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return
	}
	if addr[0] == '@' {
		addr = "\x00" + addr[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return
	}
	c.Write([]byte(msg))
	c.Close()
}
