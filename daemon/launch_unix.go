//go:build unix

package daemon

// The launcher: the process in the user's terminal that starts the
// daemon's first stage, relays its errors and exits with its verdict.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/pidfile"
)

// launchAndExit runs in the user's terminal. It returns only on errors
// that happen before the daemon exists; otherwise it exits with the
// daemon's verdict, printed.
func launchAndExit(cfg Config) error {
	pid, err := Launch(cfg)
	var nr *notReadyError
	switch {
	case errors.As(err, &nr):
		fmt.Fprintf(os.Stderr, "%s: %s\n", cfg.name(), nr.msg)
		os.Exit(1)
	case err != nil:
		return err
	}
	if cfg.OnReady != nil {
		cfg.OnReady(pid)
	}
	os.Exit(0)
	return nil
}

// Launch starts the program as a daemon from this process, as Detach does
// in the launching process, but returns instead of exiting: the daemon's
// pid once it is ready, or why not. The daemon runs the program again
// (Config.Args, Config.Env), and its own call to Detach, with a Config
// that names the same PIDFile, carries on as the daemon. An error that
// wraps ErrNotReady is the daemon's verdict (it exited, failed, or timed
// out first; its stderr was relayed to this process's meanwhile); any
// other error means it could not be started at all, and wraps
// ErrAlreadyRunning when the pidfile is locked. Launch makes the calling
// process a child subreaper on Linux, to learn how a daemon that dies
// before it is ready ended. It ignores the conditions under which Detach
// stays in the foreground, and Config.OnReady.
func Launch(cfg Config) (pid int, err error) {
	l, err := launch(cfg)
	if err != nil {
		return 0, err
	}
	return l.wait()
}

// launch starts the first stage.
func launch(cfg Config) (*launcher, error) {
	name := cfg.name()
	cred, err := lookupCredential(cfg.User, cfg.Group)
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		dir = "/"
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("daemon: working directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("daemon: working directory %s is not a directory", dir)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	defer devnull.Close()
	out := devnull
	var logf *os.File
	if cfg.LogFile != "" {
		logf, err = os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0o640)
		if err != nil {
			return nil, fmt.Errorf("daemon: open log file: %w", err)
		}
		if cred != nil {
			if err := logf.Chown(int(cred.Uid), int(cred.Gid)); err != nil {
				logf.Close()
				return nil, fmt.Errorf("daemon: log file %s: %w", cfg.LogFile, err)
			}
		}
		out = logf
	}
	var pf *pidfile.File
	if cfg.PIDFile != "" {
		pf, err = lockPIDFile(cfg.PIDFile)
		if err != nil {
			closeFile(logf)
			return nil, err
		}
		if cred != nil {
			if err := pf.File().Chown(int(cred.Uid), int(cred.Gid)); err != nil {
				pf.Remove()
				closeFile(logf)
				return nil, fmt.Errorf("daemon: pidfile %s: %w", cfg.PIDFile, err)
			}
		}
	}
	fail := func(err error) (*launcher, error) {
		if pf != nil {
			pf.Remove()
		}
		closeFile(logf)
		return nil, err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return fail(fmt.Errorf("daemon: %w", err))
	}
	relayR, relayW, err := os.Pipe()
	if err != nil {
		return fail(fmt.Errorf("daemon: %w", err))
	}
	files := []*os.File{devnull, out, relayW, statusW}
	st := stage{name: stageSession, extra: len(cfg.ExtraFiles)}
	if cfg.SkipSecondFork {
		st.name = stageFinal
	}
	if pf != nil {
		files = append(files, pf.File())
		st.pidfile = true
	}
	files = append(files, cfg.ExtraFiles...)

	self, err := executable()
	if err != nil {
		return fail(fmt.Errorf("daemon: find own executable: %w", err))
	}
	becomeSubreaper() // to learn how the daemon died if it dies before Ready
	// The stages keep the launcher's working directory, so that they
	// resolve relative paths in their arguments as the launcher did; the
	// final stage changes to Config.Dir just before Detach returns.
	first, err := startStage(self, cfg.args(), cfg.env(), files, st, true)
	statusW.Close()
	relayW.Close()
	if err != nil {
		statusR.Close()
		relayR.Close()
		return fail(fmt.Errorf("daemon: start: %w", err))
	}
	if pf != nil {
		pf.Close() // the daemon holds the lock now; Remove still works by path
	}
	return &launcher{cfg: cfg, name: name, first: first, status: statusR, relay: relayR, log: logf, pidfile: pf}, nil
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// notReadyError is the verdict of a daemon that did not become ready.
type notReadyError struct{ msg string }

func (e *notReadyError) Error() string        { return e.msg }
func (e *notReadyError) Is(target error) bool { return target == ErrNotReady }

func notReady(format string, args ...any) error {
	return &notReadyError{fmt.Sprintf(format, args...)}
}

// launcher waits in the user's terminal for the daemon's verdict.
type launcher struct {
	cfg       Config
	firstDone chan waited
	name      string
	first     *child
	status    *os.File
	relay     *os.File
	log       *os.File
	pidfile   *pidfile.File
}

// wait relays the daemon's stderr until its verdict, and returns it.
func (l *launcher) wait() (int, error) {
	defer l.status.Close()
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		defer l.relay.Close()
		defer closeFile(l.log)
		var w io.Writer = os.Stderr
		if l.log != nil {
			w = io.MultiWriter(os.Stderr, l.log)
		}
		io.Copy(w, l.relay)
	}()
	// Reap the first stage: the session leader, or the daemon itself
	// without the second fork. The daemon's fate comes from the pipe.
	l.firstDone = make(chan waited, 1)
	go func() { l.firstDone <- l.first.wait() }()
	defer l.first.release()
	timeout := l.cfg.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	l.status.SetReadDeadline(time.Now().Add(timeout))
	drain := func(max time.Duration) {
		select {
		case <-relayDone:
		case <-time.After(max):
		}
	}
	br := bufio.NewReader(l.status)
	pid := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				l.stopChild(pid)
				drain(time.Second)
				l.removePidfile()
				return 0, notReady("not ready after %s; stopped it", timeout)
			}
			drain(time.Second)
			how := l.describeDeath(pid)
			l.removePidfile()
			return 0, notReady("daemon exited before it was ready: %s", how)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "P "):
			pid, _ = strconv.Atoi(line[2:])
		case line == "R":
			// The daemon closes its end of both pipes as it says ready
			// (stderr first): once they read EOF, it holds nothing of
			// the launcher's. Bounded, for a daemon whose own children
			// inherited stderr before Ready.
			end := time.Now().Add(100 * time.Millisecond)
			l.status.SetReadDeadline(end)
			br.ReadString(0)
			drain(time.Until(end))
			// The session stage exits as soon as it has started the
			// daemon; once it is reaped, the daemon is the child of the
			// nearest subreaper (Launch's caller may be one and wait for
			// it) and of no process of ours. Bounded as above.
			if pid != l.first.pid {
				select {
				case <-l.firstDone:
				case <-time.After(time.Second):
				}
			}
			return pid, nil
		case strings.HasPrefix(line, "E "):
			drain(time.Second)
			l.describeDeath(pid) // reap it
			l.removePidfile()
			return 0, notReady("%s", line[2:])
		}
	}
}

func (l *launcher) removePidfile() {
	if l.pidfile != nil {
		l.pidfile.Remove()
	}
}

// describeDeath reaps the daemon and says how it ended. Without the second
// fork the daemon is our first child, reaped by the goroutine in wait;
// otherwise it is our child once the session stage has exited, since we are
// its subreaper.
func (l *launcher) describeDeath(pid int) string {
	if pid > 0 && pid == l.first.pid {
		select {
		case w := <-l.firstDone:
			if w.err != nil {
				return "no status available: " + w.err.Error()
			}
			return describeStatus(w.ws)
		case <-time.After(2 * time.Second):
			return "it closed its readiness pipe but is still running as pid " + strconv.Itoa(pid)
		}
	}
	if pid <= 0 || !canReapOrphans {
		return "no status available"
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if wpid == pid {
			return describeStatus(ws)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return "no status available: " + err.Error()
			}
			return "it closed its readiness pipe but is still running as pid " + strconv.Itoa(pid)
		}
		time.Sleep(5 * time.Millisecond) // failure path only: the orphan is on its way to us
	}
}

func describeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		s := "killed by signal " + unix.SignalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// stopChild ends a daemon that did not become ready. It signals only a
// process that is our own child (wait4 says so), so a reused pid is never hit.
// A daemon that has not said its pid yet (a machine so loaded that the
// timeout came first) is still in the process group of the first stage,
// which called setsid: the group is signalled, which is safe while any
// member lives (the kernel reuses no pid that names a group).
func (l *launcher) stopChild(pid int) {
	if pid <= 0 {
		unix.Kill(-l.first.pid, unix.SIGTERM)
		select {
		case <-l.firstDone:
		case <-time.After(2 * time.Second):
			unix.Kill(-l.first.pid, unix.SIGKILL)
			<-l.firstDone
		}
		return
	}
	if pid == l.first.pid {
		l.first.signal(unix.SIGTERM)
		select {
		case <-l.firstDone:
		case <-time.After(2 * time.Second):
			l.first.signal(unix.SIGKILL)
			<-l.firstDone
		}
		return
	}
	if !isOwnChild(pid) {
		return
	}
	unix.Kill(pid, unix.SIGTERM)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		if wpid, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); wpid == pid {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil)
}

func isOwnChild(pid int) bool {
	var ws unix.WaitStatus
	wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	return err == nil && wpid == 0
}
