//go:build unix

package daemon

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/pidfile"
	"github.com/tendhq/tend/internal/proc"
)

// The stages a detaching program goes through. Each is the same program,
// re-executed, told its stage by stageEnv. Descriptors are laid out the same
// in every stage: 0 /dev/null, 1 log (or /dev/null), 2 stderr relay to the
// launcher, 3 readiness pipe, then the pidfile when there is one, then
// Config.ExtraFiles.
const (
	stageSession = "session" // session leader: start the daemon, exit
	stageDaemon  = "daemon"  // the daemon's pid, started unclean: clean its signal state, re-exec in place
	stageFinal   = "final"   // the daemon proper: Detach returns here
)

const (
	fdStatus    = 3
	fdFirstFree = 4
)

type stage struct {
	name    string
	pidfile bool
	extra   int
}

func (s stage) String() string {
	p := 0
	if s.pidfile {
		p = 1
	}
	return fmt.Sprintf("%s %d %d", s.name, p, s.extra)
}

// inherited is how many descriptors the stage gets from fd 4 on.
func (s stage) inherited() int {
	if s.pidfile {
		return s.extra + 1
	}
	return s.extra
}

func parseStage(v string) (stage, bool) {
	var s stage
	var p int
	if n, err := fmt.Sscanf(v, "%s %d %d", &s.name, &p, &s.extra); n != 3 || err != nil {
		return stage{}, false
	}
	switch s.name {
	case stageSession, stageDaemon, stageFinal:
	default:
		return stage{}, false
	}
	if s.extra < 0 || s.extra > 1024 || p < 0 || p > 1 {
		return stage{}, false
	}
	s.pidfile = p == 1
	// A marker someone left in the environment by mistake is not a stage:
	// a real stage always has the readiness pipe on fd 3.
	var st unix.Stat_t
	if unix.Fstat(fdStatus, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return stage{}, false
	}
	return s, true
}

// Detach makes the calling program a daemon, or returns at once when it
// should stay in the foreground.
//
// In the launching process Detach does not return on success: it starts the
// daemon, waits for it to call Ready or fail, and exits 0 or 1 with the
// daemon's verdict printed. It returns an error only when it could not start
// the daemon at all (bad config, unwritable log, pidfile already locked).
//
// In the daemon it returns the handle. It also returns the handle, without
// detaching, when Config.Foreground is set, when TEND_FOREGROUND is set
// (and not "0"), under systemd (NOTIFY_SOCKET or INVOCATION_ID set, unless
// TEND_FOREGROUND is "0": see ForegroundEnv), when handed sockets
// (LISTEN_PID is this process: see Listeners), or as PID 1.
//
// Everything main does before Detach runs again in each stage, so call it
// first, after flag parsing, and keep that code free of side effects.
func Detach(cfg Config) (*Daemon, error) {
	if v, ok := stageMarker(); ok {
		if st, ok := parseStage(v); ok {
			return runStage(cfg, st)
		}
	}
	os.Unsetenv(stageEnv) // not a stage: a marker left in the environment by mistake
	if ForegroundReason(cfg) != "" {
		return runForeground(cfg)
	}
	return nil, launchAndExit(cfg)
}

// ForegroundReason says why Detach would not detach with cfg in this
// process, or "" when it would.
func ForegroundReason(cfg Config) string {
	fg := os.Getenv(ForegroundEnv)
	sockets := os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid())
	pid1 := os.Getpid() == 1
	switch {
	case cfg.Foreground:
		return "foreground requested"
	case fg != "" && fg != "0":
		return ForegroundEnv + " is set"
	case fg == "0" && !sockets && !pid1:
		return "" // asked to detach even under a service manager (Type=forking)
	case os.Getenv("NOTIFY_SOCKET") != "":
		return "started by a service manager (NOTIFY_SOCKET is set)"
	case os.Getenv("INVOCATION_ID") != "":
		return "started by systemd (INVOCATION_ID is set)"
	case sockets:
		return "handed sockets by a service manager (LISTEN_PID is set; see Listeners)"
	case pid1:
		return "running as PID 1"
	}
	return ""
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return filepath.Base(os.Args[0])
}

func (c Config) args() []string {
	if c.Args != nil {
		return c.Args
	}
	return os.Args
}

func (c Config) env() []string {
	if c.Env != nil {
		return c.Env
	}
	return os.Environ()
}

func (c Config) umask() int {
	if c.Umask == 0 {
		return int(DefaultUmask)
	}
	return int(c.Umask.Perm())
}

func withStage(env []string, st stage) []string {
	return append(withoutStage(env), stageEnv+"="+st.String())
}

func withoutStage(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, stageEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// inheritedFiles rebuilds the descriptor layout every stage receives, from
// fd 4 on (the pidfile, then the extra files). Only descriptors that the
// caller keeps get an *os.File, whose finalizer would otherwise close them.
func inheritedFiles(st stage) []*os.File {
	files := make([]*os.File, st.inherited())
	for i := range files {
		files[i] = os.NewFile(uintptr(fdFirstFree+i), "fd"+strconv.Itoa(fdFirstFree+i))
	}
	return files
}

// startStage starts the program again as stage st, with files as its
// descriptors, and a clean signal state (see cleanFork). A final stage that
// cannot be started clean is started as the daemon stage instead, which
// cleans itself and re-executes in place: one more start of the program.
//
// Every other descriptor is marked close-on-exec first: in the launcher,
// those it inherited without the flag; in the session stage, those that
// the program's code before Detach opened without it in that stage (a C
// library, a raw syscall.Open), which would otherwise reach the daemon.
func startStage(path string, argv, env []string, files []*os.File, st stage, setsid bool) (*child, error) {
	closeStrayOnExec(files)
	c := beginCleanFork()
	defer c.end()
	if st.name == stageFinal && !c.clean() {
		st.name = stageDaemon
	}
	mf, err := stageFile(st)
	if err != nil {
		return nil, err
	}
	if mf != nil {
		defer mf.Close()
		files = append(files[:len(files):len(files)], mf)
	}
	return startChild(path, argv, stageEnvironment(env, st), files, setsid)
}

// waited is how a child ended, or why that is unknown.
type waited struct {
	ws  unix.WaitStatus
	err error
}

func runStage(cfg Config, st stage) (*Daemon, error) {
	// Executed as /proc/self/exe, the stage would be named "exe".
	setProcessName(os.Args[0])
	status := os.NewFile(fdStatus, "readiness")
	failStage := func(err error) {
		status.Write([]byte("E " + oneLine(err.Error()) + "\n"))
		os.Exit(1)
	}
	self, err := executable()
	if err != nil {
		failStage(fmt.Errorf("find own executable: %w", err))
	}
	switch st.name {
	case stageSession:
		// The second fork: the daemon is started from the session leader,
		// so it is not one itself and can never get a controlling terminal.
		next := st
		next.name = stageFinal
		files := append([]*os.File{os.Stdin, os.Stdout, os.Stderr, status}, inheritedFiles(st)...)
		c, err := startStage(self, os.Args, os.Environ(), files, next, false)
		if err != nil {
			failStage(fmt.Errorf("start daemon stage: %w", err))
		}
		c.release()
		os.Exit(0)
	case stageDaemon:
		status.Write([]byte("P " + strconv.Itoa(os.Getpid()) + "\n"))
		next := st
		next.name = stageFinal
		// What this stage's code before Detach opened must not cross the
		// exec in place (see startStage).
		keep := map[int]bool{}
		for fd := range fdFirstFree + st.inherited() {
			keep[fd] = true
		}
		proc.CloseOnExecExcept(keep)
		// Started with a signal state that its parent could not clean:
		// signal masks and ignored signals survive exec, so the daemon
		// execs in place from a thread whose mask and dispositions it
		// reset.
		if err := execClean(self, os.Args, withoutStage(os.Environ()), next); err != nil {
			failStage(fmt.Errorf("re-execute daemon: %w", err))
		}
		// Not reached on systems where execClean replaces the process.
		return runFinal(cfg, st, status)
	case stageFinal:
		return runFinal(cfg, st, status)
	}
	failStage(fmt.Errorf("unknown stage %q", st.name))
	return nil, nil
}

func runFinal(cfg Config, st stage, status *os.File) (*Daemon, error) {
	status.Write([]byte("P " + strconv.Itoa(os.Getpid()) + "\n"))
	os.Unsetenv(stageEnv) // where the marker came by environment (not Linux)
	unix.Umask(cfg.umask())
	dir := cfg.Dir
	if dir == "" {
		dir = "/"
	}
	d := &Daemon{name: cfg.name(), status: status, relaying: true}
	if sock := os.Getenv("NOTIFY_SOCKET"); sock != "" {
		// Detached under a service manager (TEND_FOREGROUND=0): Ready
		// tells it the daemon's pid, and the daemon's children do not
		// notify in its name.
		d.notify = sock
		os.Unsetenv("NOTIFY_SOCKET")
	}
	// Until Ready, stderr is a pipe to the launcher. If the launcher is gone
	// (interrupted), a write there must not kill the daemon with SIGPIPE.
	d.sigpipe = make(chan os.Signal, 1)
	signal.Notify(d.sigpipe, syscall.SIGPIPE)
	files := inheritedFiles(st)
	next := 0
	if st.pidfile {
		d.pid = pidfile.FromFile(files[next], cfg.PIDFile)
		// The lock must not leak into the daemon's children: Go's exec
		// passes on every descriptor without close-on-exec.
		unix.CloseOnExec(int(files[next].Fd()))
		next++
		if err := d.pid.Write(os.Getpid()); err != nil {
			d.Fail(err)
		}
	}
	d.files = files[next:]
	for _, f := range d.files {
		unix.CloseOnExec(int(f.Fd()))
	}
	unix.CloseOnExec(fdStatus) // the daemon's children must not hold the launcher's pipe
	if err := dropPrivileges(cfg.User, cfg.Group); err != nil {
		d.Fail(err)
	}
	if err := os.Chdir(dir); err != nil {
		d.Fail(fmt.Errorf("daemon: working directory: %w", err))
	}
	return d, nil
}

func runForeground(cfg Config) (*Daemon, error) {
	d := &Daemon{foreground: true, name: cfg.name(), files: cfg.ExtraFiles}
	if sock := os.Getenv("NOTIFY_SOCKET"); sock != "" {
		d.notify = sock
		os.Unsetenv("NOTIFY_SOCKET") // our children are not the service
	}
	if cfg.Dir != "" {
		if err := os.Chdir(cfg.Dir); err != nil {
			return nil, fmt.Errorf("daemon: working directory: %w", err)
		}
	}
	if cfg.Umask != 0 {
		unix.Umask(cfg.umask())
	}
	if cfg.PIDFile != "" {
		cred, err := lookupCredential(cfg.User, cfg.Group)
		if err != nil {
			return nil, err
		}
		pf, err := lockPIDFile(cfg.PIDFile)
		if err != nil {
			return nil, err
		}
		if err := pf.Write(os.Getpid()); err != nil {
			pf.Remove()
			return nil, fmt.Errorf("daemon: %w", err)
		}
		if cred != nil {
			pf.File().Chown(int(cred.Uid), int(cred.Gid))
		}
		d.pid = pf
	}
	if err := dropPrivileges(cfg.User, cfg.Group); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}
