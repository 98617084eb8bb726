package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/probe"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervise"
)

// ProbeResult is the outcome of the last health probe.
type ProbeResult struct {
	At time.Time `json:"at"`
	OK bool      `json:"ok"`
	// Result says what the probe saw ("HTTP 200 OK", "connection refused").
	Result string `json:"result"`
	// Failures counts the failures in a row, this one included.
	Failures int `json:"failures,omitzero"`
}

// readiness is the part of a Supervisor that knows whether its daemon is
// up: per incarnation, it waits for the --ready condition, then runs the
// watchdog and the health probe; it also owns the notify socket and the
// --listen sockets, which outlive incarnations.
//
// Lock order: Supervisor.mu, then readiness.mu; the Process's own lock is
// held when Prepare and Started run, which take readiness.mu only.
type readiness struct {
	s      *Supervisor
	mode   Readiness
	health probe.Probe
	hasHP  bool
	notify *notify.Server
	socks  []net.Listener
	files  []*os.File // the sockets' descriptors, passed as fds 3...
	env    []string   // every incarnation's environment
	shim   []string   // argv that sets LISTEN_PID/WATCHDOG_PID, or nil

	verdict     chan struct{} // closed when the first incarnation is ready or not
	verdictErr  error
	verdictOnce sync.Once

	mu      sync.Mutex
	cur     *incarnation
	first   *incarnation // the one whose verdict tend start waits for
	started bool
	closed  bool
}

// incarnation is one run of the child, as readiness sees it.
type incarnation struct {
	id      proc.Identity
	first   bool
	begun   time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	ready   chan struct{} // closed once ready
	notRdy  chan struct{} // closed when it will not become ready
	readyFn sync.Once
	notRdFn sync.Once
	notifyR chan struct{} // READY=1 received
	notifyO sync.Once
	fdRead  *os.File
	ping    chan struct{}
	trigger chan struct{}

	// Under readiness.mu:
	isReady   bool
	status    string
	mainPID   int
	phase     string
	errno     int
	health    string
	check     *ProbeResult
	lastPing  time.Time
	watchdogD time.Duration
}

// setupReadiness binds the --listen sockets, opens the notify socket and
// hooks into spec so that every incarnation gets them.
func (s *Supervisor) setupReadiness(spec *supervise.Spec) error {
	d := s.def
	rd := &readiness{s: s, mode: d.Readiness(), verdict: make(chan struct{})}
	s.rd = rd
	hp, ok, err := d.HealthProbe()
	if err != nil {
		return err
	}
	rd.health, rd.hasHP = hp, ok
	rd.health.Env, rd.health.Dir = spec.Env, spec.Dir
	socks, err := d.ListenSockets()
	if err != nil {
		return err
	}
	env := slices.DeleteFunc(slices.Clone(spec.Env), func(kv string) bool {
		k, _, _ := cutEnv(kv)
		switch k {
		case "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID":
			return true
		}
		return false
	})
	var names []string
	for _, l := range socks {
		ln, f, err := bindListener(l)
		if err != nil {
			return err
		}
		rd.socks, rd.files = append(rd.socks, ln), append(rd.files, f)
		names = append(names, l.Name)
	}
	var pidVars []string
	if len(socks) > 0 {
		spec.ExtraFiles = append(spec.ExtraFiles, rd.files...)
		env = append(env, "LISTEN_FDS="+strconv.Itoa(len(socks)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
		pidVars = append(pidVars, "LISTEN_PID")
	}
	if d.needsNotifySocket() {
		if rd.notify, err = listenNotify(s.cfg.Dir, d); err != nil {
			return err
		}
		env = append(env, "NOTIFY_SOCKET="+rd.notify.Addr())
		go rd.serveNotify()
	}
	if d.Watchdog > 0 {
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(d.Watchdog.Microseconds(), 10))
		pidVars = append(pidVars, "WATCHDOG_PID")
	}
	rd.env = env
	if len(pidVars) > 0 {
		// LISTEN_PID and WATCHDOG_PID must hold the child's own pid, which
		// is known only after fork, and Go cannot run code between fork
		// and exec. A shell can: $$ is its pid, and exec keeps it.
		if err := unix.Access(spec.Path, unix.X_OK); err != nil || !strings.Contains(spec.Path, "/") {
			return fmt.Errorf("cannot start %s: %s: not an executable file", d.Name, spec.Path)
		}
		script := ""
		for _, v := range pidVars {
			script += v + "=$$; export " + v + "; "
		}
		script += `exec "$0" "$@"`
		rd.shim = append([]string{"/bin/sh", "sh", "-c", script, spec.Path}, spec.Args[1:]...)
	}
	spec.Prepare = rd.prepare
	return nil
}

// listenNotify opens the notify socket: notify.sock in the daemon's folder,
// or an abstract socket when that path is too long for a socket address,
// when the child runs as another user (who could not reach the private
// folder), or for a nameless `tend run`. Credentials keep strangers out.
func listenNotify(dir state.Dir, d *Definition) (*notify.Server, error) {
	if dir.Path != "" && d.User == "" && len(dir.NotifySocket()) <= notify.MaxPath {
		return notify.Listen(dir.NotifySocket())
	}
	var rnd [8]byte
	if f, err := os.Open("/dev/urandom"); err == nil {
		f.Read(rnd[:])
		f.Close()
	}
	return notify.Listen(fmt.Sprintf("@tend/%d/%x/notify", os.Getpid(), rnd))
}

// bindListener binds one --listen socket. A Unix socket file left by a
// previous run is replaced, but only when nothing answers on it.
func bindListener(l ListenSocket) (net.Listener, *os.File, error) {
	if l.Network == "unix" {
		if fi, err := os.Lstat(l.Address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.DialTimeout("unix", l.Address, time.Second); err == nil {
				c.Close()
				return nil, nil, fmt.Errorf("--listen %s: something already serves it", l)
			}
			os.Remove(l.Address)
		}
	}
	ln, err := net.Listen(l.Network, l.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("--listen %s: %w", l, err)
	}
	f, err := ln.(interface{ File() (*os.File, error) }).File()
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("--listen %s: %w", l, err)
	}
	return ln, f, nil
}

// prepare gives one incarnation its environment, its fd:N pipe and the
// LISTEN_PID shim. It runs under the Process's lock.
func (rd *readiness) prepare() (supervise.Incarnation, error) {
	inc := supervise.Incarnation{Env: rd.env, Args: rd.shim}
	var r, w *os.File
	if rd.mode.Kind == ReadyFD {
		var err error
		if r, w, err = os.Pipe(); err != nil {
			return inc, fmt.Errorf("readiness pipe: %w", err)
		}
		pad := rd.mode.FD - 3 - len(rd.files)
		inc.Files = make([]*os.File, pad+1)
		inc.Files[pad] = w
	}
	inc.Started = func(pid int) {
		if w != nil {
			w.Close()
		}
		if pid == 0 {
			if r != nil {
				r.Close()
			}
			return
		}
		rd.begin(pid, r)
	}
	return inc, nil
}

// begin starts watching a new incarnation. It runs under the Process's
// lock, before that child's exit can be reported.
func (rd *readiness) begin(pid int, fdRead *os.File) {
	id, err := proc.Lookup(pid)
	if err != nil {
		id = proc.Identity{PID: pid} // already gone: matches nothing alive
	}
	ctx, cancel := context.WithCancel(context.Background())
	inc := &incarnation{
		id: id, begun: time.Now(), ctx: ctx, cancel: cancel, fdRead: fdRead,
		ready: make(chan struct{}), notRdy: make(chan struct{}), notifyR: make(chan struct{}),
		ping: make(chan struct{}, 1), trigger: make(chan struct{}, 1), watchdogD: rd.s.def.Watchdog,
	}
	rd.mu.Lock()
	inc.first = !rd.started
	if inc.first {
		rd.first = inc
	}
	rd.started = true
	old := rd.cur
	rd.cur = inc
	closed := rd.closed
	rd.mu.Unlock()
	if old != nil {
		old.cancel()
	}
	if closed {
		cancel()
	}
	if rd.mode.Kind == ReadyExec && !closed {
		// Executed is ready: say so now, before the Process can report
		// this child's exit, so that a command that exits at once was
		// still ready (and is restarted per its policy).
		rd.markReady(inc)
		return
	}
	go rd.await(inc)
}

// track sees every change of the child: an incarnation whose child is no
// longer the running one, and is gone, has ended.
func (rd *readiness) track(snap supervise.Snapshot) {
	rd.mu.Lock()
	inc, first := rd.cur, rd.first
	rd.mu.Unlock()
	// The first child's verdict is decided by its own exit, even when the
	// restart policy has already started its successor (the first
	// restart is immediate, so that may come before this snapshot).
	if first != nil && !first.readyNow() && snap.PID != first.id.PID && !first.id.Alive() {
		how := "exited"
		if snap.LastExit != nil {
			how = snap.LastExit.Description
		}
		rd.decide(fmt.Errorf("%s %s before it was ready", rd.s.def.Name, how))
	}
	if inc == nil || inc.ctx.Err() != nil || snap.PID == inc.id.PID || inc.id.Alive() {
		return
	}
	inc.cancel()
	inc.notRdFn.Do(func() { close(inc.notRdy) })
}

func (inc *incarnation) readyNow() bool {
	select {
	case <-inc.ready:
		return true
	default:
		return false
	}
}

// decide records the verdict on the first incarnation.
func (rd *readiness) decide(err error) {
	rd.verdictOnce.Do(func() {
		rd.verdictErr = err
		close(rd.verdict)
	})
}

// await waits for one incarnation to become ready.
func (rd *readiness) await(inc *incarnation) {
	timeout := rd.s.def.readyTimeout()
	ctx, cancel := context.WithTimeout(inc.ctx, timeout)
	defer cancel()
	var err error
	switch rd.mode.Kind {
	case ReadyAfter:
		t := time.NewTimer(rd.mode.After)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		}
	case ReadyFD:
		err = waitNewline(ctx, inc.fdRead, rd.mode.FD)
	case ReadyNotify:
		select {
		case <-inc.notifyR:
		case <-ctx.Done():
			err = errors.New("no READY=1 over sd_notify")
		}
	case ReadyProbe:
		p := rd.mode.Probe
		err = probe.Poll(ctx, healthTimeout, func(c context.Context) error {
			_, err := p.Check(c)
			return err
		})
	}
	if inc.ctx.Err() != nil {
		return // it exited; track has said so
	}
	if err != nil {
		rd.notReady(inc, fmt.Errorf("%s was not ready within %v (--ready %s): %v", rd.s.def.Name, timeout, rd.s.def.Ready, err))
		return
	}
	rd.markReady(inc)
}

// waitNewline reads the fd:N pipe until a newline, EOF or ctx's end. EOF
// without a newline is not a verdict: the child may still exit (then that
// is the reason) or time out.
func waitNewline(ctx context.Context, r *os.File, fd int) error {
	defer r.Close()
	got := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := r.Read(buf)
			if slices.Contains(buf[:n], '\n') {
				got <- nil
				return
			}
			if err != nil {
				got <- fmt.Errorf("descriptor %d was closed without a newline", fd)
				return
			}
		}
	}()
	select {
	case err := <-got:
		if err == nil {
			return nil
		}
		<-ctx.Done()
		return err
	case <-ctx.Done():
		r.SetReadDeadline(time.Now()) // unblock the reader
		return fmt.Errorf("no newline on descriptor %d", fd)
	}
}

func (rd *readiness) markReady(inc *incarnation) {
	rd.mu.Lock()
	inc.isReady = true
	rd.mu.Unlock()
	inc.readyFn.Do(func() { close(inc.ready) })
	rd.s.events.Info("ready", "pid", inc.id.PID, "after", time.Since(inc.begun).Round(time.Millisecond).String(), "ready", rd.mode.Kind)
	rd.s.update(func(*Record) {})
	if inc.first {
		rd.decide(nil)
	}
	if rd.s.def.Watchdog > 0 {
		go rd.watchdog(inc)
	}
	if rd.hasHP {
		go rd.healthLoop(inc)
	}
}

// notReady handles an incarnation that timed out: the first one fails the
// start; a later one is restarted.
func (rd *readiness) notReady(inc *incarnation, err error) {
	rd.s.events.Warn("not ready", "pid", inc.id.PID, "err", err.Error())
	inc.notRdFn.Do(func() { close(inc.notRdy) })
	if inc.first {
		rd.decide(err)
		return
	}
	rd.restart(inc, err.Error())
}

// restart replaces the incarnation's child if it is still the current one.
func (rd *readiness) restart(inc *incarnation, reason string) {
	rd.mu.Lock()
	current := rd.cur == inc && !rd.closed
	rd.mu.Unlock()
	if !current || inc.ctx.Err() != nil {
		return
	}
	rd.s.events.Warn("restarting", "pid", inc.id.PID, "reason", reason)
	go func() {
		err := rd.s.proc.Restart(context.Background())
		if err != nil && !errors.Is(err, supervise.ErrStopped) && !errors.Is(err, supervise.ErrRestarting) {
			rd.s.events.Error("restart failed", "err", err.Error())
		}
	}()
}

// watchdog restarts an incarnation that stops sending WATCHDOG=1.
func (rd *readiness) watchdog(inc *incarnation) {
	interval := func() time.Duration {
		rd.mu.Lock()
		defer rd.mu.Unlock()
		return inc.watchdogD
	}
	t := time.NewTimer(interval())
	defer t.Stop()
	for {
		select {
		case <-inc.ctx.Done():
			return
		case <-inc.ping:
			t.Reset(interval())
			continue
		case <-inc.trigger:
			rd.restart(inc, "the daemon triggered its watchdog (WATCHDOG=trigger)")
		case <-t.C:
			rd.restart(inc, fmt.Sprintf("watchdog: no WATCHDOG=1 within %v", interval()))
		}
		return
	}
}

// healthLoop probes a ready incarnation every interval and restarts it
// after too many failures in a row.
func (rd *readiness) healthLoop(inc *incarnation) {
	d := rd.s.def
	interval, threshold := d.healthInterval(), d.healthThreshold()
	timeout := max(min(interval, healthTimeout), time.Second)
	t := time.NewTicker(interval)
	defer t.Stop()
	fails := 0
	for {
		select {
		case <-inc.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(inc.ctx, timeout)
		res, err := rd.health.Check(ctx)
		cancel()
		if inc.ctx.Err() != nil {
			return
		}
		r := &ProbeResult{At: time.Now(), OK: err == nil, Result: res}
		health := "healthy"
		if err != nil {
			fails++
			r.Result, r.Failures = err.Error(), fails
			health = fmt.Sprintf("unhealthy (%d of %d failures)", fails, threshold)
			rd.s.events.Warn("health check failed", "probe", d.Health, "err", err.Error(), "failures", fails)
		} else {
			fails = 0
		}
		rd.mu.Lock()
		inc.health, inc.check = health, r
		rd.mu.Unlock()
		rd.s.update(func(*Record) {})
		if fails >= threshold {
			rd.restart(inc, fmt.Sprintf("unhealthy: %d health checks failed in a row (%s: %v)", fails, d.Health, err))
			return
		}
	}
}

// serveNotify receives the daemon's sd_notify messages until the socket
// is closed.
func (rd *readiness) serveNotify() {
	for {
		dg, err := rd.notify.Receive()
		if err != nil {
			return
		}
		rd.mu.Lock()
		inc := rd.cur
		rd.mu.Unlock()
		if inc == nil || inc.ctx.Err() != nil || !rd.believes(inc, dg.PID) {
			rd.s.events.Warn("notify: ignored a message from a process that is not the daemon's", "pid", dg.PID, "uid", dg.UID)
			continue
		}
		rd.apply(inc, dg)
	}
}

// believes says whether pid is one of the incarnation's processes: the
// child, its MAINPID, a descendant, or a member of its process group.
func (rd *readiness) believes(inc *incarnation, pid int) bool {
	rd.mu.Lock()
	main := inc.mainPID
	rd.mu.Unlock()
	if pid == inc.id.PID || (main != 0 && pid == main) {
		return true
	}
	if g, err := syscall.Getpgid(pid); err == nil && g == inc.id.PID {
		return true
	}
	ds, _ := proc.Descendants(inc.id.PID)
	return slices.Contains(ds, pid)
}

func (rd *readiness) apply(inc *incarnation, dg notify.Datagram) {
	m := dg.Message
	if m.MainPID != 0 && m.MainPID != inc.id.PID {
		ds, _ := proc.Descendants(inc.id.PID)
		if !slices.Contains(ds, m.MainPID) {
			rd.s.events.Warn("notify: ignored MAINPID that is not a descendant of the daemon", "mainpid", m.MainPID)
			m.MainPID = 0
		}
	}
	rd.mu.Lock()
	changed := false
	if m.HasStatus {
		inc.status, changed = m.Status, true
	}
	if m.MainPID != 0 {
		inc.mainPID, changed = m.MainPID, true
	}
	if m.Reloading {
		inc.phase, changed = "reloading", true
	}
	if m.Stopping {
		inc.phase, changed = "stopping", true
	}
	if m.Ready && inc.phase == "reloading" {
		inc.phase, changed = "", true
	}
	if m.HasErrno {
		inc.errno, changed = m.Errno, true
	}
	if m.WatchdogUSec != 0 {
		inc.watchdogD = time.Duration(m.WatchdogUSec) * time.Microsecond
	}
	if m.Watchdog {
		inc.lastPing = time.Now()
	}
	rd.mu.Unlock()
	if m.Ready {
		inc.notifyO.Do(func() { close(inc.notifyR) })
	}
	if m.Watchdog || m.WatchdogUSec != 0 {
		select {
		case inc.ping <- struct{}{}:
		default:
		}
	}
	if m.WatchdogTrigger {
		select {
		case inc.trigger <- struct{}{}:
		default:
		}
	}
	if changed {
		rd.s.update(func(*Record) {})
	}
}

// fill copies the current incarnation's state into the record; a child
// that is running but not ready yet is shown as starting. It runs under
// Supervisor.mu.
func (rd *readiness) fill(r *Record) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	inc := rd.cur
	if inc == nil || r.PID == 0 || r.PID != inc.id.PID {
		r.Ready, r.Status, r.MainPID, r.Phase, r.Health, r.HealthCheck, r.WatchdogPing = false, "", 0, "", "", nil, time.Time{}
		return
	}
	r.Ready, r.Status, r.MainPID, r.Phase = inc.isReady, inc.status, inc.mainPID, inc.phase
	r.Health, r.HealthCheck, r.WatchdogPing = inc.health, inc.check, inc.lastPing
	if inc.errno != 0 {
		r.Errno = inc.errno
	}
	// The record keeps what fill made of it: a Starting with a pid is
	// this override (the Process itself starts with no pid).
	switch {
	case r.State == supervise.Running && !inc.isReady:
		r.State = supervise.Starting
	case r.State == supervise.Starting && inc.isReady:
		r.State = supervise.Running
	}
}

// close releases the sockets and ends the current incarnation's watchers.
func (rd *readiness) close() {
	rd.mu.Lock()
	rd.closed = true
	inc := rd.cur
	rd.mu.Unlock()
	if inc != nil {
		inc.cancel()
	}
	if rd.notify != nil {
		rd.notify.Close()
	}
	for _, ln := range rd.socks {
		ln.Close()
	}
	for _, f := range rd.files {
		f.Close()
	}
	rd.decide(errors.New("the supervisor shut down"))
}

// waitReady waits until the incarnation with pid is ready, or will not be.
func (rd *readiness) waitReady(ctx context.Context, pid int) error {
	rd.mu.Lock()
	inc := rd.cur
	rd.mu.Unlock()
	if inc == nil || inc.id.PID != pid {
		return fmt.Errorf("%s exited at once", rd.s.def.Name)
	}
	select {
	case <-inc.ready:
		return nil
	case <-inc.notRdy:
		return fmt.Errorf("%s did not become ready (see: tend status %s; tend logs %s)", rd.s.def.Name, rd.s.def.Name, rd.s.def.Name)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitReady waits for the verdict on the first incarnation: nil once it
// is ready (per --ready), else why not: it exited first, or the ready
// timeout passed. The caller then stops the daemon.
func (s *Supervisor) WaitReady(ctx context.Context) error {
	select {
	case <-s.rd.verdict:
		return s.rd.verdictErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RestartResult is the data of a restart response.
type RestartResult struct {
	PID int `json:"pid"`
}

// Restart replaces the child in place: the supervisor, its control socket
// and its --listen sockets stay, so that connections queue meanwhile. It
// returns the new child's pid once it is ready.
func (s *Supervisor) Restart(ctx context.Context) (int, error) {
	s.events.Info("restart requested")
	if err := s.proc.Restart(ctx); err != nil {
		return 0, err
	}
	pid := s.proc.Snapshot().PID
	ctx, cancel := context.WithTimeout(ctx, s.def.readyTimeout()+5*time.Second)
	defer cancel()
	return pid, s.rd.waitReady(ctx, pid)
}
