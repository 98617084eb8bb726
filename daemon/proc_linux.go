package daemon

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
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

// finalMarkerName names the memfd through which the daemon stage tells the
// re-executed image that it is the final daemon. A descriptor rather than an
// environment variable, so that the daemon's /proc/PID/environ is exactly
// the user's environment.
const finalMarkerName = "tend-daemon-stage"

// finalMarker finds and consumes the marker memfd, if this process has one
// (only when fd 3 is a pipe, which is cheap to check and rare otherwise).
func finalMarker() (string, bool) {
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
		if err != nil || target != "/memfd:"+finalMarkerName+" (deleted)" {
			continue
		}
		buf := make([]byte, 128)
		n, _ := unix.Pread(fd, buf, 0)
		unix.Close(fd)
		return string(buf[:n]), true
	}
	return "", false
}

// execClean replaces the process with path, from a thread whose signal mask
// is empty and with every ignored signal set back to its default action, so
// that the new image starts as daemon(7) asks even when the launcher ran
// under nohup or with signals blocked. marker travels in a memfd that the new
// image finds with finalMarker.
func execClean(path string, argv, env []string, marker string) error {
	mfd, err := unix.MemfdCreate(finalMarkerName, 0)
	if err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	if _, err := unix.Pwrite(mfd, []byte(marker), 0); err != nil {
		unix.Close(mfd)
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
	unix.Close(mfd)
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
