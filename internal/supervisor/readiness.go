package supervisor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/probe"
	"github.com/tendhq/tend/internal/proc"
	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// readiness holds what outlives incarnations and tells whether one is
// ready: the --listen sockets, the notify socket, every incarnation's
// environment, and the probes. The watchers it starts for an incarnation
// (a descriptor to read, a probe to poll, health checks) only post
// messages to the loop; the machine decides.
type readiness struct {
	s      *Supervisor
	mode   definition.Readiness
	health probe.Probe
	hasHP  bool
	notify *notify.Server
	socks  []*os.File // the --listen sockets, passed as fds 3...
	unlink []string   // the files of the unix ones, removed at close
	extra  []string   // what the supervisor adds to every incarnation's environment (sockets, notify, invocation id)
	shim   []string   // /bin/sh sh -c SCRIPT that sets LISTEN_PID/WATCHDOG_PID, or nil
}

// running is what the loop keeps of one incarnation besides the machine's
// view: its watchers, and what the daemon said and its probes saw.
type running struct {
	readyR, readyW *os.File // the fd:N pipe
	ctx            context.Context
	cancel         context.CancelFunc
	stopSearch     context.CancelFunc // the --pidfile search, while it runs
	// env and dir are what its command was started with (a reload's new
	// incarnation has the new definition's); an exec health probe runs
	// with them.
	env []string
	dir string

	status   string
	phase    string
	errno    int
	lastPing time.Time
	health   string
	check    *status.ProbeResult
}

// started closes the supervisor's copy of the write end of the readiness
// pipe, once the child has its own (or the start failed).
func (r *running) started() {
	if r.readyW != nil {
		r.readyW.Close()
		r.readyW = nil
	}
}

// release ends the incarnation's watchers.
func (r *running) release() {
	if r == nil {
		return
	}
	r.started()
	if r.cancel != nil {
		r.cancel()
	}
	if r.readyR != nil {
		r.readyR.SetReadDeadline(time.Now()) // unblocks a reader
	}
}

// Messages that the watchers post.
type (
	notifyMsg struct{ dg notify.Datagram }
	// notifyDropped: a datagram that the notify socket did not accept.
	notifyDropped struct{ err *notify.DroppedError }
	healthResult  struct {
		inc    int
		result *status.ProbeResult
	}
)

// setupReadiness binds the --listen sockets, opens the notify socket and
// works out every incarnation's environment.
func setupReadiness(s *Supervisor) (*readiness, error) {
	d := s.def
	rd := &readiness{s: s, mode: d.Readiness()}
	hp, ok, err := d.HealthProbe()
	if err != nil {
		return nil, err
	}
	rd.health, rd.hasHP = hp, ok
	socks, err := d.ListenSockets()
	if err != nil {
		return nil, err
	}
	env := []string{status.InvocationEnv + "=" + s.invID}
	var names []string
	own, err := socketOwnership(d)
	if err != nil {
		return nil, err
	}
	for i, l := range socks {
		f, err := s.listener(i, l, own)
		if err != nil {
			rd.close()
			return nil, err
		}
		rd.socks = append(rd.socks, f)
		if l.Network == "unix" {
			rd.unlink = append(rd.unlink, l.Address)
		}
		names = append(names, l.Name)
	}
	var pidVars []string
	if len(socks) > 0 {
		env = append(env, "LISTEN_FDS="+strconv.Itoa(len(socks)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
		pidVars = append(pidVars, "LISTEN_PID")
	}
	if d.NeedsNotifySocket() {
		if rd.notify, err = s.notifySocket(d); err != nil {
			rd.close()
			return nil, err
		}
		env = append(env, "NOTIFY_SOCKET="+rd.notify.Addr())
		go rd.serveNotify()
	}
	if d.Watchdog > 0 {
		env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(d.Watchdog.Microseconds(), 10))
		pidVars = append(pidVars, "WATCHDOG_PID")
	}
	rd.extra = env
	rd.health.Run = s.runShort
	if len(pidVars) > 0 {
		// LISTEN_PID and WATCHDOG_PID must hold the child's own pid, which
		// is known only after fork, and Go cannot run code between fork
		// and exec. A shell can: $$ is its pid, and exec keeps it.
		path := s.spawner.path
		if err := unix.Access(path, unix.X_OK); err != nil || !strings.Contains(path, "/") {
			rd.close()
			return nil, fmt.Errorf("cannot start %s: %s: not an executable file", d.Name, path)
		}
		script := ""
		for _, v := range pidVars {
			script += v + "=$$; export " + v + "; "
		}
		script += `exec "$0" "$@"`
		rd.shim = []string{"/bin/sh", "sh", "-c", script}
	}
	return rd, nil
}

// listenNotify opens the notify socket: notify.sock in the daemon's folder,
// or an abstract socket when that path is too long for a socket address,
// when the child runs as another user (who could not reach the private
// folder), or for a nameless `tend run`. Credentials keep strangers out.
func listenNotify(dir statedir.Dir, d *definition.Definition) (*notify.Server, error) {
	if dir.Path != "" && d.User == "" && len(dir.NotifySocket()) <= notify.MaxPath {
		return notify.Listen(dir.NotifySocket())
	}
	return notify.Listen(fmt.Sprintf("@tend/%d/%s/notify", os.Getpid(), newInvocationID()[:16]))
}

// prepare returns the descriptors an incarnation gets after stdio: the
// --listen sockets, then the fd:N pipe's write end (at fd N).
func (rd *readiness) prepare(inc int, r *running) ([]*os.File, error) {
	files := slices.Clone(rd.socks)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if rd.mode.Kind == definition.ReadyFD {
		var err error
		if r.readyR, r.readyW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("readiness pipe: %w", err)
		}
		for len(files) < rd.mode.FD-3 {
			files = append(files, nil)
		}
		files = append(files, r.readyW)
	}
	return files, nil
}

// armLog has out's captures look for the --ready log:REGEX line on
// behalf of incarnation inc, before it starts, so that no line of it is
// missed. A line found for an incarnation that has ended meanwhile is
// dropped with the other events about it.
func (rd *readiness) armLog(inc int, out *instanceOutput) {
	if rd.mode.Kind != definition.ReadyLog {
		return
	}
	inbox := &rd.s.inbox
	out.lines.Arm(rd.mode.Log, func(line string) {
		inbox.post(event{kind: evReady, at: time.Now(), inc: inc})
	})
}

// watch starts waiting for a new incarnation to be ready, where that takes
// a watcher: a newline on fd:N, or a probe that answers. Like every
// watcher, it gets what it needs as values, and only posts to the loop.
func (rd *readiness) watch(inc int, r *running) {
	inbox := &rd.s.inbox
	post := func() { inbox.post(event{kind: evReady, at: time.Now(), inc: inc}) }
	switch rd.mode.Kind {
	case definition.ReadyFD:
		pipe := r.readyR
		go func() {
			if waitNewline(pipe) {
				post()
			}
		}()
	case definition.ReadyProbe:
		p := rd.mode.Probe
		p.Run = rd.s.runShort
		ctx := r.ctx
		go func() {
			err := probe.Poll(ctx, definition.ProbeTimeout, func(c context.Context) error {
				_, err := p.Check(c)
				return err
			})
			if err == nil {
				post()
			}
		}()
	}
}

// waitNewline reads the fd:N pipe until a newline (true), or its end or
// the read deadline that release sets (false).
func waitNewline(r *os.File) bool {
	defer r.Close()
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		if slices.Contains(buf[:n], '\n') {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// startHealth probes a ready incarnation every interval until it ends.
// The probe is built here, on the loop, with the incarnation's own
// environment and folder, and handed to the watcher as a value: the
// watcher reads nothing that the loop may change (a reload changes the
// definition while the old incarnation's probe still runs).
func (rd *readiness) startHealth(inc int, r *running) {
	d := rd.s.def
	interval := d.HealthIntervalOrDefault()
	timeout := max(min(interval, definition.ProbeTimeout), time.Second)
	p := rd.health
	p.Env, p.Dir = r.env, r.dir
	ctx, inbox := r.ctx, &rd.s.inbox
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		fails := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			c, cancel := context.WithTimeout(ctx, timeout)
			res, err := p.Check(c)
			cancel()
			if ctx.Err() != nil {
				return
			}
			pr := &status.ProbeResult{At: time.Now(), OK: err == nil, Result: res}
			if err != nil {
				fails++
				pr.Result, pr.Failures = err.Error(), fails
			} else {
				fails = 0
			}
			inbox.post(healthResult{inc: inc, result: pr})
		}
	}()
}

// serveNotify hands the daemon's sd_notify messages, and those dropped, to
// the loop until the socket is closed.
func (rd *readiness) serveNotify() {
	for {
		dg, err := rd.notify.Receive()
		var dropped *notify.DroppedError
		switch {
		case errors.As(err, &dropped):
			rd.s.inbox.post(notifyDropped{dropped})
		case err != nil:
			return
		default:
			rd.s.inbox.post(notifyMsg{dg})
		}
	}
}

// close releases the sockets.
func (rd *readiness) close() {
	if rd.notify != nil {
		rd.notify.Close()
	}
	for _, f := range rd.socks {
		f.Close()
	}
	for _, path := range rd.unlink {
		os.Remove(path)
	}
}

// errNotReady is the verdict when the supervisor shut down first.
var errNotReady = errors.New("the supervisor shut down before the daemon was ready")

// notified applies an sd_notify message from one of the daemon's
// processes to their incarnation: READY=1 makes it ready (with --ready
// notify), WATCHDOG=1 keeps it alive, WATCHDOG_USEC= sets its watchdog
// interval (its own: the next incarnation starts from --watchdog again),
// EXTEND_TIMEOUT_USEC= gives it more time, WATCHDOG=trigger restarts it,
// MAINPID= names its main process; the rest is shown by status.
func (s *Supervisor) notified(dg notify.Datagram) {
	in, inc := s.holding(dg.PID)
	if in == nil {
		s.events.Warn("notify: ignored a message from a process that is not the daemon's", "pid", dg.PID, "uid", dg.UID)
		return
	}
	r := s.incs[inc.id]
	m := dg.Message
	now := time.Now()
	if m.HasStatus {
		r.status = m.Status
	}
	if m.Reloading {
		r.phase = "reloading"
	}
	if m.Stopping {
		r.phase = "stopping"
	}
	if m.Ready && r.phase == "reloading" {
		r.phase = ""
	}
	if m.HasErrno {
		r.errno = m.Errno
	}
	if m.Watchdog {
		r.lastPing = now
	}
	if m.MainPID != 0 && m.MainPID != inc.main.PID {
		if id, err := member(s.tracker, inc.id, m.MainPID); err != nil {
			s.events.Warn("notify: ignored MAINPID that is not one of the daemon's processes", "mainpid", m.MainPID)
		} else {
			s.watchMain(inc.id, id)
			s.step(in, event{kind: evAdopted, at: now, inc: inc.id, main: id, how: "MAINPID"})
		}
	}
	if m.Watchdog || m.WatchdogUSec != 0 {
		s.step(in, event{kind: evPing, at: now, inc: inc.id, interval: usec(m.WatchdogUSec)})
	}
	if m.ExtendTimeoutUSec != 0 {
		s.step(in, event{kind: evExtend, at: now, inc: inc.id, interval: usec(m.ExtendTimeoutUSec)})
	}
	if m.WatchdogTrigger {
		s.step(in, event{kind: evFault, at: now, inc: inc.id, how: "the daemon triggered its watchdog (WATCHDOG=trigger)"})
	}
	if m.Ready && s.readying.mode.Kind == definition.ReadyNotify {
		s.step(in, event{kind: evReady, at: now, inc: inc.id})
	}
}

// notifyDropped tells the event log of a datagram that the notify socket
// dropped: the daemon (or a stranger) sent something that tend, like
// systemd, does not take.
func (s *Supervisor) notifyDropped(e *notify.DroppedError) {
	sender := "unknown"
	if e.PID > 0 {
		sender = "not the daemon's"
		if in, _ := s.holding(e.PID); in != nil {
			sender = "the daemon's"
		}
	}
	s.events.Warn("notify: dropped a message", "pid", e.PID, "sender", sender, "bytes", e.Size, "why", e.Why)
}

// usec converts microseconds from an sd_notify message, capped where a
// Duration ends.
func usec(n uint64) time.Duration {
	if n > uint64(math.MaxInt64/int64(time.Microsecond)) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Microsecond
}

// healthChecked records a health probe's result and lets the machine
// count failures.
func (s *Supervisor) healthChecked(h healthResult) {
	r := s.incs[h.inc]
	if r == nil {
		return
	}
	r.check = h.result
	r.health = "healthy"
	if !h.result.OK {
		r.health = fmt.Sprintf("unhealthy (%d of %d failures)", h.result.Failures, s.mcfg.healthThreshold)
		s.events.Warn("health check failed", "probe", s.def.Health, "err", h.result.Result, "failures", h.result.Failures)
	}
	s.stepInc(event{kind: evHealth, at: h.result.At, inc: h.inc, ok: h.result.OK, result: h.result.Result})
}

// reserved are the variables that the supervisor sets in the daemon's
// environment, whatever the caller's says.
var reserved = []string{"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
	status.InvocationEnv, InstanceEnv}

// InstanceEnv names the variable that tells each instance of a daemon
// which it is: 0 to N-1 (see --instances).
const InstanceEnv = "TEND_INSTANCE"

// envFor is an incarnation's environment: the definition's (sp.env),
// without what the supervisor sets, and what the supervisor sets.
func (rd *readiness) envFor(sp spawner) []string {
	env := slices.DeleteFunc(slices.Clone(sp.env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(reserved, k)
	})
	return append(env, rd.extra...)
}

// The settle watch (doSettle): a reload's new version must show that it
// works before the old one goes, as supervisord's startsecs asks: it must
// still run settleMin after its start (a broken version that fails after
// a moment of setup fails the reload), and then have settled (its
// processes sleep, waiting for work) or, still busy, be taken as ready
// at settleMax.
const (
	settleMin   = time.Second
	settleMax   = 2 * time.Second
	settleQuiet = 3 * time.Millisecond
	settleCPU   = 0.05
	settlePoll  = 5 * time.Millisecond
)

// watchSettle calls ready once main has run settleMin and settled, or
// settleMax has passed with it still there, unless ctx ends first (the
// incarnation ended: its exit tells the machine).
func watchSettle(ctx context.Context, main proc.Identity, ready func()) {
	begin := time.Now()
	for {
		if !main.Alive() {
			return
		}
		if time.Since(begin) >= settleMin {
			yes, known := proc.Settled(main.PID, settleQuiet, settleCPU)
			if yes || !known || time.Since(begin) >= settleMax {
				if main.Alive() {
					ready()
				}
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(settlePoll):
		}
	}
}
