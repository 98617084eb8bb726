package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/pidfile"
)

// DefaultUmask is the file mode creation mask a detached daemon gets when
// Config.Umask is zero. It is 022, not the 0 of the textbook recipe: with
// umask 0 every file the daemon creates without an explicit mode is
// world-writable.
const DefaultUmask fs.FileMode = 0o022

// DefaultReadyTimeout is how long the launcher waits for Ready when
// Config.ReadyTimeout is zero.
const DefaultReadyTimeout = 60 * time.Second

// ForegroundEnv is the environment variable that overrides where Detach
// runs. Set to a non-empty value other than "0", it makes Detach run in
// the foreground.
//
// Set to "0", it makes Detach detach even under a service manager
// (NOTIFY_SOCKET or INVOCATION_ID set), where it would otherwise stay in
// the foreground. A systemd unit of Type=forking waits for its main
// process to fork and exit, and a program that stays in the foreground
// there never starts; the program cannot see its unit's Type= (systemd
// sets INVOCATION_ID for every type), so the unit says it: tend export
// systemd writes Environment=TEND_FOREGROUND=0 beside Type=forking, which
// programs not built on this library (nginx) ignore. It does not override
// Config.Foreground (the program's own choice, a -foreground flag say),
// nor the two cases where detaching would break the program: sockets
// handed to this very process (LISTEN_PID names the launcher, so the
// daemon would not find them) and PID 1 (the container would end).
const ForegroundEnv = "TEND_FOREGROUND"

// stageEnv carries the stage marker between re-executions where no memfd
// does (not Linux). The final daemon removes it from its environment.
const stageEnv = "TEND_DAEMON_STAGE"

// Errors returned by Detach and the Daemon methods.
var (
	// ErrUnsupported is returned on systems where detaching is not implemented.
	ErrUnsupported = errors.New("daemon: not supported on this system")
	// ErrNotReady is the verdict of a launcher whose daemon did not become ready.
	ErrNotReady = errors.New("daemon: not ready")
	// ErrAlreadyRunning is wrapped by the error of Detach and Launch when
	// another process holds the lock of Config.PIDFile: the daemon runs
	// already. The error is an *AlreadyRunningError.
	ErrAlreadyRunning = errors.New("daemon: already running")
)

// AlreadyRunningError reports that Config.PIDFile is locked by a running
// daemon. errors.Is(err, ErrAlreadyRunning) is true for it.
type AlreadyRunningError struct {
	PIDFile string
	// PID is the pid written in the pidfile; 0 when it could not be read.
	PID int
}

func (e *AlreadyRunningError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("daemon: already running as pid %d (pidfile %s is locked)", e.PID, e.PIDFile)
	}
	return fmt.Sprintf("daemon: already running (pidfile %s is locked)", e.PIDFile)
}

// Is makes errors.Is(err, ErrAlreadyRunning) true.
func (e *AlreadyRunningError) Is(target error) bool { return target == ErrAlreadyRunning }

// lockPIDFile takes the pidfile's lock, saying who holds it if someone
// does.
func lockPIDFile(path string) (*pidfile.File, error) {
	pf, err := pidfile.Lock(path, 0o644)
	var locked *pidfile.LockedError
	if errors.As(err, &locked) {
		return nil, &AlreadyRunningError{PIDFile: path, PID: locked.PID}
	}
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return pf, nil
}

// Config says how to detach. The zero value is a sensible daemon: cwd "/",
// umask 022, stdio on /dev/null, no pidfile, two-stage detach, a 60 s
// readiness timeout.
type Config struct {
	// Name prefixes the launcher's messages. Empty means the base name of
	// os.Args[0].
	Name string

	// PIDFile, if set, is created (mode 0644, never through a symlink),
	// locked with flock(2) by the launcher before anything starts, and
	// holds the daemon's pid for the daemon's whole life. A second start
	// fails at once with an *AlreadyRunningError naming the running pid
	// (errors.Is(err, ErrAlreadyRunning)).
	// Close removes it. Make the path absolute.
	PIDFile string

	// LogFile, if set, receives the daemon's stdout and stderr: it is
	// opened for append (created mode 0640, never truncated, never through a
	// symlink). Empty means /dev/null. Until Ready, stderr goes to the
	// launching terminal as well, so that startup errors are seen. Ignored
	// in the foreground, where stdio is left as it is.
	LogFile string

	// Dir is the daemon's working directory. Empty means "/", so that the
	// daemon pins no mount point. In the foreground it is changed only when
	// set.
	Dir string

	// Umask is the daemon's file mode creation mask. Zero means
	// DefaultUmask (022); umask 0 is deliberately not offered. In the
	// foreground it is changed only when set.
	Umask fs.FileMode

	// User and Group, when the launcher runs as root, are the user (name or
	// numeric id) and group the daemon runs as: real, effective and saved
	// ids and supplementary groups. Empty Group means the user's primary
	// group. The pidfile and log file are created before dropping and
	// handed to that user.
	User, Group string

	// ReadyTimeout bounds the launcher's wait for Ready. Zero means
	// DefaultReadyTimeout. On timeout the launcher stops the daemon and
	// exits non-zero.
	ReadyTimeout time.Duration

	// Foreground runs the program without detaching (see Detach for the
	// other conditions that imply it).
	Foreground bool

	// SkipSecondFork leaves the daemon a session leader, saving one
	// re-execution: one Go start-up, about 2 ms of a launch here
	// (BenchmarkDetach: 12.6 ms with the second fork, 10.6 ms without, for
	// a dynamically linked test binary). daemon(7) allows it only for
	// programs that open every file that might be a terminal with
	// O_NOCTTY, since a session leader without a controlling terminal
	// acquires one on the first such open without it. Go's os.Open does
	// not add O_NOCTTY: pass syscall.O_NOCTTY to os.OpenFile yourself.
	SkipSecondFork bool

	// OnReady, if set, is called in the launching process with the daemon's
	// pid once the daemon is ready, just before the launcher exits 0; use it
	// to tell the user where the daemon is. It is not called in the daemon.
	OnReady func(pid int)

	// ExtraFiles are passed to the daemon, which finds them again with
	// Daemon.Files, in the same order. Every other inherited descriptor is
	// closed.
	ExtraFiles []*os.File

	// Args and Env are the command line (program name first) and the
	// environment with which the program is executed again to become the
	// daemon; nil means os.Args and os.Environ(). The program run that way
	// must call Detach again, with a Config naming the same PIDFile.
	Args []string
	Env  []string
}

// Daemon is the handle a detached (or foreground) program gets from Detach.
// Its methods are safe for concurrent use.
type Daemon struct {
	foreground bool
	name       string
	files      []*os.File
	pid        *pidfile.File

	mu       sync.Mutex
	status   *os.File // readiness pipe to the launcher; nil once used
	notify   string   // NOTIFY_SOCKET, captured and unset at Detach
	ctx      context.Context
	hangup   chan struct{}
	hupOnce  sync.Once
	ctxOnce  sync.Once
	closed   bool
	relaying bool           // fd 2 still goes to the launcher
	sigpipe  chan os.Signal // SIGPIPE is caught: stderr may be a pipe to a launcher that is gone
}

// Foreground reports whether the program runs without having detached.
func (d *Daemon) Foreground() bool { return d.foreground }

// Files returns Config.ExtraFiles as the daemon received them.
func (d *Daemon) Files() []*os.File { return d.files }

// Ready tells whoever launched the program that it is ready to serve: the
// launching terminal, which then exits 0, and the service manager when
// NOTIFY_SOCKET was set (READY=1 with MAINPID). From then on stderr goes to
// the log file. Calling it again does nothing.
func (d *Daemon) Ready() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.relaying {
		// Point stderr at the log (fd 1) before saying ready, so that the
		// launcher has seen every byte written to it until now.
		err = redirectStderrToStdout()
		d.relaying = false
		// SIGPIPE stays caught: fd 1 and 2 are a file or /dev/null now,
		// and signal.Stop would wait for the signal loop to go idle.
	}
	if d.status != nil {
		if _, werr := d.status.Write([]byte("R\n")); werr != nil && err == nil && !errors.Is(werr, syscall.EPIPE) {
			err = werr
		}
		d.status.Close()
		d.status = nil
	}
	if d.notify != "" {
		if _, nerr := sdNotify(d.notify, "READY=1\nMAINPID="+strconv.Itoa(os.Getpid())); nerr != nil && err == nil {
			err = nerr
		}
	}
	return err
}

// Notify sends state (newline-separated KEY=VALUE lines such as
// "STATUS=serving" or "STOPPING=1") to the service manager. It reports false
// without error when no manager listens (NOTIFY_SOCKET unset).
func (d *Daemon) Notify(state string) (bool, error) {
	d.mu.Lock()
	sock := d.notify
	d.mu.Unlock()
	if sock == "" {
		return false, nil
	}
	return sdNotify(sock, state)
}

// Fail reports err to the launching terminal, which prints it and exits 1,
// removes the pidfile, and exits the process with status 1. Use it for
// startup errors before Ready; after Ready it only logs err to stderr and
// exits.
func (d *Daemon) Fail(err error) {
	msg := "failed"
	if err != nil {
		msg = err.Error()
	}
	d.mu.Lock()
	if d.status != nil {
		d.status.Write([]byte("E " + oneLine(msg) + "\n"))
		d.status.Close()
		d.status = nil
	} else {
		os.Stderr.WriteString(d.name + ": " + msg + "\n")
	}
	if d.notify != "" {
		sdNotify(d.notify, "STATUS="+oneLine(msg))
	}
	d.mu.Unlock()
	d.Close()
	os.Exit(1)
}

// Close removes the pidfile (releasing its lock). Call it when the daemon
// exits cleanly, typically deferred in main.
func (d *Daemon) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.pid != nil {
		return d.pid.Remove()
	}
	return nil
}

// Context returns a context that is cancelled when the process receives
// SIGTERM or SIGINT. The handler is installed on the first call, so a program
// that never calls Context keeps the default (terminating) behaviour.
func (d *Daemon) Context() context.Context {
	d.ctxOnce.Do(func() {
		d.ctx, _ = signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	})
	return d.ctx
}

// Hangup returns a channel that receives a value for every SIGHUP (several
// close together may arrive as one): the conventional request to reopen log
// files or reload configuration. The handler is installed on the first call.
func (d *Daemon) Hangup() <-chan struct{} {
	d.hupOnce.Do(func() {
		d.hangup = make(chan struct{}, 1)
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGHUP)
		go func() {
			for range sigs {
				select {
				case d.hangup <- struct{}{}:
				default:
				}
			}
		}()
	})
	return d.hangup
}

func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
