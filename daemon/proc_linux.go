package daemon

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// canReapOrphans says whether the launcher, as a child subreaper, inherits
// the daemon when the session stage exits, and so can learn its exit status.
const canReapOrphans = true

func becomeSubreaper() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }

// executable is /proc/self/exe: it names this very binary even if the file
// on disk has since been replaced or deleted.
func executable() (string, error) { return "/proc/self/exe", nil }

func redirectStderrToStdout() error { return unix.Dup3(1, 2, 0) }

// stageMarkerName names the memfd that tells a re-executed image its stage.
// A descriptor rather than an environment variable, so that the daemon's
// /proc/PID/environ is exactly the user's environment.
const stageMarkerName = "tend-daemon-stage"

// stageFile returns the memfd that carries st to the next stage, which
// finds it with stageMarker. The caller passes it among the stage's files
// and closes it once the stage is started.
func stageFile(st stage) (*os.File, error) {
	fd, err := unix.MemfdCreate(stageMarkerName, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	if _, err := unix.Pwrite(fd, []byte(st.String()), 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("memfd: %w", err)
	}
	return os.NewFile(uintptr(fd), stageMarkerName), nil
}

// stageEnvironment is the environment a stage is started with: the user's,
// since the stage travels in a descriptor.
func stageEnvironment(env []string, st stage) []string { return withoutStage(env) }

// stageMarker finds and consumes the marker memfd, if this process has one
// (only when fd 3 is a pipe, which is cheap to check and rare otherwise).
func stageMarker() (string, bool) {
	var st unix.Stat_t
	if unix.Fstat(fdStatus, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return "", false
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= fdStatus {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || target != "/memfd:"+stageMarkerName+" (deleted)" {
			continue
		}
		buf := make([]byte, 128)
		n, _ := unix.Pread(fd, buf, 0)
		unix.Close(fd)
		return string(buf[:n]), true
	}
	return "", false
}

// forkMu serializes cleanForks: each changes signal dispositions, which
// belong to the whole process, for the moment of one fork.
var forkMu sync.Mutex

// cleanFork is the moment during which this process starts a stage with a
// clean signal state, as daemon(7) asks, even when the launcher itself ran
// under nohup or with signals blocked. The child of a fork inherits the
// forking thread's signal mask and every ignored disposition (Go's
// os.StartProcess resets only the handlers Go installed). So, on a thread of
// its own, the fork happens with an empty mask, and every signal that is
// ignored is caught instead for that moment: exec resets caught signals to
// their default action.
type cleanFork struct {
	ignored []os.Signal
	caught  chan os.Signal
	oldMask unix.Sigset_t
	masked  bool
}

// beginCleanFork locks the calling goroutine to its thread and prepares
// it; the caller forks, then calls end, from the same goroutine.
func beginCleanFork() *cleanFork {
	forkMu.Lock()
	runtime.LockOSThread()
	c := &cleanFork{}
	for sig := 1; sig < 65; sig++ {
		if s := syscall.Signal(sig); s != syscall.SIGKILL && s != syscall.SIGSTOP && signal.Ignored(s) {
			c.ignored = append(c.ignored, s)
		}
	}
	if len(c.ignored) > 0 {
		c.caught = make(chan os.Signal, 1)
		signal.Notify(c.caught, c.ignored...)
	}
	var empty unix.Sigset_t
	c.masked = unix.PthreadSigmask(unix.SIG_SETMASK, &empty, &c.oldMask) == nil
	return c
}

// clean reports whether a process forked now starts with an empty signal
// mask and no ignored signal. It does not when a signal that Go cannot catch
// (the C library's own, 32 and 33) is ignored; the stage then cleans itself
// (see execClean).
func (c *cleanFork) clean() bool {
	if !c.masked {
		return false
	}
	for sig := 1; sig < 65; sig++ {
		var old sigaction
		if rtSigaction(sig, nil, &old) == nil && old.handler == sigIgn {
			return false
		}
	}
	return true
}

// end restores the thread's mask and the ignored signals.
func (c *cleanFork) end() {
	if c.masked {
		unix.PthreadSigmask(unix.SIG_SETMASK, &c.oldMask, nil)
	}
	if c.caught != nil {
		signal.Stop(c.caught)
		signal.Ignore(c.ignored...)
	}
	runtime.UnlockOSThread()
	forkMu.Unlock()
}

// setProcessName gives every thread of this process the command name
// (/proc/PID/comm, what ps -C, pgrep -x and start-stop-daemon --name match)
// that the kernel gives a program executed as argv0: its base name, cut to
// 15 bytes. A stage is executed as /proc/self/exe, which the kernel would
// name "exe".
func setProcessName(argv0 string) {
	name := filepath.Base(argv0)
	if len(name) > 15 {
		name = name[:15]
	}
	if name == "." || name == "/" {
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		if fd, err := unix.Open("/proc/self/task/"+t.Name()+"/comm", unix.O_WRONLY|unix.O_CLOEXEC, 0); err == nil {
			unix.Write(fd, []byte(name))
			unix.Close(fd)
		}
	}
}

// execClean replaces the process with path, from a thread whose signal mask
// is empty and with every ignored signal set back to its default action, so
// that the new image starts as daemon(7) asks. It is the fallback for a
// stage that could not be forked clean (see cleanFork). marker travels in a
// memfd that the new image finds with stageMarker.
func execClean(path string, argv, env []string, marker stage) error {
	mf, err := stageFile(marker)
	if err != nil {
		return err
	}
	defer mf.Close()
	// Unlike the files of os.StartProcess, it must lose close-on-exec
	// itself to cross syscall.Exec.
	if _, err := unix.FcntlInt(mf.Fd(), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	runtime.LockOSThread()
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		var old sigaction
		if rtSigaction(sig, nil, &old) != nil || old.handler != sigIgn {
			continue
		}
		rtSigaction(sig, &sigaction{handler: sigDfl}, nil)
	}
	var empty unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &empty, nil); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	err = syscall.Exec(path, argv, env)
	runtime.UnlockOSThread()
	return err
}

const (
	sigDfl = 0
	sigIgn = 1
)

// sigaction is the kernel's struct sigaction on amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

func rtSigaction(sig int, act, old *sigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptrOf(act), uintptrOf(old), 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// child is a stage this process started.
type child struct {
	pid   int
	pidfd int // -1 where the kernel gives none (before Linux 5.2)
}

// startChild forks and executes path. It asks the kernel for a pidfd with
// the fork itself, where os.StartProcess would first fork a throwaway child
// once per process to check that pidfds work: up to a millisecond and more
// on a launcher's path, whose every start is a new process.
func startChild(path string, argv, env []string, files []*os.File, setsid bool) (*child, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	c := &child{pidfd: -1}
	attr := &syscall.ProcAttr{Env: env, Files: fds, Sys: &syscall.SysProcAttr{Setsid: setsid, PidFD: &c.pidfd}}
	pid, _, err := syscall.StartProcess(path, argv, attr)
	if err == syscall.EINVAL || err == syscall.ENOSYS { // no CLONE_PIDFD
		c.pidfd, attr.Sys.PidFD = -1, nil
		pid, _, err = syscall.StartProcess(path, argv, attr)
	}
	runtime.KeepAlive(files)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	c.pid = pid
	return c, nil
}

// wait reaps the child and returns how it ended.
func (c *child) wait() waited {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, 0, nil)
		if err != unix.EINTR {
			return waited{ws: ws, err: err}
		}
	}
}

// signal sends sig to the child: by its pidfd, which never names another
// process, or without one by pid, which the caller must not yet have reaped.
func (c *child) signal(sig unix.Signal) error {
	if c.pidfd >= 0 {
		return unix.PidfdSendSignal(c.pidfd, sig, nil, 0)
	}
	return unix.Kill(c.pid, sig)
}

// release closes the pidfd; the child cannot be signalled afterwards.
func (c *child) release() {
	if c.pidfd >= 0 {
		unix.Close(c.pidfd)
		c.pidfd = -1
	}
}
