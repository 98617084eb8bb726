//go:build unix

package keeper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/quiet"
)

// Config is what a keeper runs.
type Config struct {
	// HostPath and HostArgs are the host's program and argv; it is
	// started with HostEnv, in a process group of its own, its stdout
	// and stderr appended to HostLog (the keeper's own when empty), and
	// its end of the socket pair on HostFD.
	HostPath string
	HostArgs []string
	HostEnv  []string
	HostLog  string
	// FirstHostOnly names variables of HostEnv that only the first host
	// gets (fault injection that must strike once).
	FirstHostOnly []string
	// Ready is called once, when the first host says it serves.
	Ready func()
	// Logf reports what the keeper does (a host that died, started
	// again); nil discards it.
	Logf func(format string, args ...any)
	// Resume is the state of a keeper that executed itself again
	// (Upgrade), or nil.
	Resume *os.File
}

// hostRestartQuiet is how long a host must have run for the keeper to
// start the next one at once when it dies: one that dies sooner is
// started again only after this long, so that a host that cannot start
// does not spin.
const hostRestartQuiet = time.Second

// releaseAfter is how long the keeper waits after its last work before it
// gives free memory back (see package quiet).
const releaseAfter = 2 * time.Second

// maxHosts bounds the hosts a hello names: enough to recognise the
// records of the last ones (a record names the host that wrote it).
const maxHosts = 64

// keeper is the state of Run; the loop owns it, the reaper shares
// children under mu (see reap).
type keeper struct {
	cfg Config
	r   *reaper

	store   map[string][]*os.File
	pending map[int]Exit // tagged exits the host has not acknowledged

	host      int // the host's pid, 0 when none runs
	hostBegan time.Time
	hosts     []Child // every host started, the last ones (see hello)
	// quickDeaths counts the hosts in a row that died within
	// hostRestartQuiet of their start.
	quickDeaths int
	conn        *conn
	gen         int // counts hosts, so that a dead host's messages are dropped
	msgs        chan received
	// reading says that the current host's messages may still come;
	// exited holds its exit until they have all been handled (a store
	// it sent just before it died is kept).
	reading   bool
	exited    *Exit
	served    bool   // a host served once: Ready was called
	shutdown  bool   // the host is exiting for good
	upgrade   string // the host is exiting for an upgrade to this program
	restartAt time.Time
}

// received is a message from host number gen.
type received struct {
	gen   int
	m     *Message
	files []*os.File
	eof   bool // the host's end of the socket is closed: no more messages
}

// Run is the keeper: it starts the host and keeps it running, forks and
// reaps for it, until the host exits for good (after a shutdown message),
// or ctx is done, when it sends the host SIGTERM and waits for it. It
// returns an error when the first host dies before it serves.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	proc.SetChildSubreaper() // the daemons' orphans come back to us, wherever the host is
	k := &keeper{cfg: cfg, store: map[string][]*os.File{}, pending: map[int]Exit{}, msgs: make(chan received, 64)}
	var children []Child
	if cfg.Resume != nil {
		var err error
		if children, err = k.resume(cfg.Resume); err != nil {
			return err
		}
	}
	// The reaper knows the children of the keeper this one replaced
	// before its first wait4.
	k.r = newReaper(children)
	if err := k.startHost(); err != nil {
		return err
	}
	done := ctx.Done()
	var restart <-chan time.Time
	release := quiet.New(releaseAfter)
	for {
		release.Busy()
		select {
		case batch := <-k.r.exits:
			if err := k.reaped(batch); err != nil {
				return err
			}
		case rcv := <-k.msgs:
			k.handle(rcv)
		case <-done:
			done = nil
			k.shutdown = true
			if k.host != 0 {
				unix.Kill(k.host, unix.SIGTERM)
			}
		case <-restart:
			restart = nil
			if err := k.startHost(); err != nil {
				cfg.Logf("cannot start the host again: %v; trying again in %v", err, hostRestartQuiet)
				k.restartAt = time.Now().Add(hostRestartQuiet)
			}
		}
		if k.exited != nil && !k.reading {
			e := *k.exited
			k.exited = nil
			if err := k.hostExited(e); err != nil {
				return err
			}
		}
		if k.host == 0 {
			switch {
			case k.upgrade != "":
				return k.execUpgrade()
			case k.shutdown:
				return nil
			case restart == nil:
				restart = time.After(time.Until(k.restartAt))
			}
		}
	}
}

// startHost starts a host with a new socket pair, and says hello.
func (k *keeper) startHost() error {
	c, hostEnd, err := newPair()
	if err != nil {
		return err
	}
	defer hostEnd.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		c.close()
		return err
	}
	defer null.Close()
	out, errOut := os.Stdout, os.Stderr
	if k.cfg.HostLog != "" {
		log, err := os.OpenFile(k.cfg.HostLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0o640)
		if err != nil {
			c.close()
			return fmt.Errorf("keeper: the host's log: %w", err)
		}
		defer log.Close()
		out, errOut = log, log
	}
	env := k.cfg.HostEnv
	if k.gen > 0 {
		env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
			name, _, _ := strings.Cut(kv, "=")
			return slices.Contains(k.cfg.FirstHostOnly, name)
		})
	}
	attr := &os.ProcAttr{Env: env, Files: []*os.File{null, out, errOut, hostEnd},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	pid, start, err := k.r.start(k.cfg.HostPath, k.cfg.HostArgs, attr, "")
	if err != nil {
		c.close()
		return fmt.Errorf("keeper: start the host: %w", err)
	}
	k.hosts = append(k.hosts, Child{PID: pid, Start: start})
	if len(k.hosts) > maxHosts {
		k.hosts = k.hosts[len(k.hosts)-maxHosts:]
	}
	k.gen++
	k.host, k.hostBegan, k.conn, k.reading = pid, time.Now(), c, true
	go k.read(c, k.gen)
	k.hello()
	return nil
}

// read passes the messages of host gen to the loop, until its end.
func (k *keeper) read(c *conn, gen int) {
	for {
		m, files, err := c.recv()
		if err != nil {
			k.msgs <- received{gen: gen, eof: true}
			return
		}
		k.msgs <- received{gen: gen, m: m, files: files}
	}
}

// hello tells a new host what there is: the children the keeper forked
// for hosts before it, the exits they did not acknowledge, and every
// stored descriptor.
func (k *keeper) hello() {
	h := &Message{Kind: kindHello, Children: k.r.tagged(), KeeperPID: os.Getpid(), Hosts: k.hosts}
	for _, e := range k.pending {
		h.Exits = append(h.Exits, e)
	}
	if k.send(h, nil) != nil {
		return
	}
	for key, files := range k.store {
		if k.send(&Message{Kind: kindStored, Key: key}, files) != nil {
			return
		}
	}
	k.send(&Message{Kind: kindHelloEnd}, nil)
}

// send writes to the current host; a failure means it is dying, which
// the loop learns from its exit.
func (k *keeper) send(m *Message, files []*os.File) error {
	if k.conn == nil {
		return errors.New("no host")
	}
	err := k.conn.send(m, files)
	if err != nil {
		k.cfg.Logf("%v", err)
	}
	return err
}

// handle carries out a host's message.
func (k *keeper) handle(rcv received) {
	defer func() {
		if rcv.m == nil || rcv.m.Kind != kindStore {
			for _, f := range rcv.files {
				f.Close()
			}
		}
	}()
	if rcv.gen != k.gen {
		return // from a host that died
	}
	if rcv.eof {
		k.reading = false
		return
	}
	m := rcv.m
	switch m.Kind {
	case kindSpawn:
		k.send(k.spawn(m, rcv.files), nil)
	case kindStore:
		k.drop(m.Key, false)
		k.store[m.Key] = rcv.files
	case kindDrop:
		k.drop(m.Key, true)
	case kindAck:
		for _, pid := range m.PIDs {
			delete(k.pending, pid)
		}
	case kindServing:
		if !k.served {
			k.served = true
			if k.cfg.Ready != nil {
				k.cfg.Ready()
			}
		}
	case kindShutdown:
		k.shutdown = true
	case kindUpgrade:
		k.upgrade = m.Path
	}
}

// drop closes the descriptors stored under key, and with prefix those
// under key/ too.
func (k *keeper) drop(key string, prefix bool) {
	for name, files := range k.store {
		if name == key || prefix && strings.HasPrefix(name, key+"/") {
			for _, f := range files {
				f.Close()
			}
			delete(k.store, name)
		}
	}
}

// spawn starts the process a host asked for.
func (k *keeper) spawn(m *Message, files []*os.File) *Message {
	reply := &Message{Kind: kindSpawned, ID: m.ID}
	s := m.Spawn
	if s == nil {
		reply.Err = "keeper: a spawn without a process"
		return reply
	}
	file := func(i int) *os.File {
		if i >= 0 && i < len(files) {
			return files[i]
		}
		return nil
	}
	sys := &syscall.SysProcAttr{Setpgid: s.Setpgid}
	if c := s.Credential; c != nil {
		sys.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups, NoSetGroups: c.NoSetGroups}
	}
	if cg := file(s.Cgroup); cg != nil {
		bornIn(sys, cg)
	}
	attr := &os.ProcAttr{Dir: s.Dir, Env: s.Env, Files: make([]*os.File, len(s.Files)), Sys: sys}
	for i, x := range s.Files {
		attr.Files[i] = file(x)
		// A descriptor made by Go in the host (a pipe, a socket) is in
		// non-blocking mode, for its poller, and arrives so: the child
		// gets it blocking, as os.StartProcess gives its own files (a
		// daemon whose stdout is non-blocking fails its writes with
		// EAGAIN when the pipe is full).
		if f := attr.Files[i]; f != nil {
			if fd, err := rawFD(f); err == nil {
				unix.SetNonblock(fd, false)
			}
		}
	}
	if s.Umask >= 0 {
		// The keeper creates no file: its umask is the child's for the
		// moment of the fork.
		old := unix.Umask(s.Umask)
		defer unix.Umask(old)
	}
	pid, start, err := k.r.start(s.Path, s.Argv, attr, s.Tag)
	if err != nil {
		reply.Err = err.Error()
		var errno syscall.Errno
		if errors.As(err, &errno) {
			reply.Errno = int(errno)
		}
		return reply
	}
	reply.PID, reply.Start = pid, start
	return reply
}

// reaped handles a batch of exits: the host's own, and every other,
// which goes to the host (and is kept, when tagged, until it says it has
// it).
func (k *keeper) reaped(batch []Exit) error {
	var forward []Exit
	for _, e := range batch {
		if e.PID == k.host && k.host != 0 {
			k.exited = &e
			continue
		}
		if e.Tag != "" {
			k.pending[e.PID] = e
		}
		forward = append(forward, e)
	}
	if len(forward) > 0 && k.conn != nil {
		k.send(&Message{Kind: kindExits, Exits: forward}, nil)
	}
	return nil
}

// hostExited forgets the host; the loop starts the next one.
func (k *keeper) hostExited(e Exit) error {
	k.conn.close()
	k.conn, k.host = nil, 0
	how := proc.DescribeExit(e.Status)
	switch {
	case k.upgrade != "", k.shutdown:
		return nil
	case !k.served:
		return fmt.Errorf("keeper: the host %s before it served (see its log above)", how)
	}
	// The first death in a while is answered at once; a host that dies
	// again within hostRestartQuiet of its start waits out the rest.
	k.restartAt = time.Now()
	if time.Since(k.hostBegan) < hostRestartQuiet && k.quickDeaths > 0 {
		k.restartAt = k.hostBegan.Add(hostRestartQuiet)
	}
	if time.Since(k.hostBegan) < hostRestartQuiet {
		k.quickDeaths++
	} else {
		k.quickDeaths = 0
	}
	k.cfg.Logf("the host (pid %d) %s; starting a new one", e.PID, how)
	return nil
}

// reaper waits for every child of the keeper, and knows who asked for
// each.
type reaper struct {
	mu       chan struct{} // a lock: held while forking and while reaping, so that no exit is reaped before its child is known
	children map[int]Child
	exits    chan []Exit
}

func newReaper(children []Child) *reaper {
	r := &reaper{mu: make(chan struct{}, 1), children: map[int]Child{}, exits: make(chan []Exit, 16)}
	for _, c := range children {
		r.children[c.PID] = c
	}
	// Before its first fork, the os package forks a throwaway child to
	// see whether pidfds work, and waits for it: done now, before the
	// reaper's first wait4, so that neither steals the other's exit.
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
	sigc := make(chan os.Signal, 1)
	// Notify also replaces an inherited SIG_IGN, under which the kernel
	// would reap children itself.
	signal.Notify(sigc, unix.SIGCHLD)
	go r.run(sigc)
	return r
}

func (r *reaper) lock()   { r.mu <- struct{}{} }
func (r *reaper) unlock() { <-r.mu }

// start forks a child and records it under tag before any exit of it can
// be reaped.
func (r *reaper) start(path string, argv []string, attr *os.ProcAttr, tag string) (int, uint64, error) {
	r.lock()
	defer r.unlock()
	p, err := os.StartProcess(path, argv, attr)
	if err != nil {
		return 0, 0, err
	}
	pid := p.Pid
	p.Release()
	var start uint64
	if id, err := proc.Lookup(pid); err == nil {
		start = id.StartTime
	}
	r.children[pid] = Child{PID: pid, Start: start, Tag: tag}
	return pid, start, nil
}

// tagged returns the live children a host asked for.
func (r *reaper) tagged() []Child {
	r.lock()
	defer r.unlock()
	var out []Child
	for _, c := range r.children {
		if c.Tag != "" {
			out = append(out, c)
		}
	}
	return out
}

func (r *reaper) run(sigc <-chan os.Signal) {
	for {
		var batch []Exit
		r.lock()
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
			batch = append(batch, Exit{PID: pid, Status: ws, Tag: r.children[pid].Tag})
			delete(r.children, pid)
		}
		r.unlock()
		if len(batch) > 0 {
			r.exits <- batch
		}
		<-sigc
	}
}
