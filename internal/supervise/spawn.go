package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// umaskMu serialises the umask swaps around fork: the umask belongs to the
// whole supervisor process, so two Processes starting at once must not
// interleave their set/restore pairs.
var umaskMu sync.Mutex

// spawn forks and executes one child in its own process group, registered
// with the reaper. os.StartProcess reports exec failures synchronously; the
// os.Process is released at once because only the reaper may wait.
func (p *Process) spawn() (pid int, start uint64, err error) {
	var inc Incarnation
	if p.spec.Prepare != nil {
		if inc, err = p.spec.Prepare(); err != nil {
			return 0, 0, fmt.Errorf("supervise: start %s: %w", p.spec.Path, err)
		}
	}
	if inc.Started != nil {
		defer func() { inc.Started(pid) }()
	}
	path := p.spec.Path
	args := p.spec.Args
	if len(inc.Args) > 0 {
		path, args = inc.Args[0], inc.Args[1:]
	}
	if !strings.Contains(path, "/") {
		if path, err = exec.LookPath(path); err != nil {
			return 0, 0, fmt.Errorf("supervise: start %s: %w", p.spec.Path, err)
		}
	}
	if p.spec.Dir != "" {
		if fi, err := os.Stat(p.spec.Dir); err != nil {
			return 0, 0, fmt.Errorf("supervise: start %s: dir: %w", path, err)
		} else if !fi.IsDir() {
			return 0, 0, fmt.Errorf("supervise: start %s: dir %s: %w", path, p.spec.Dir, syscall.ENOTDIR)
		}
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, 0, fmt.Errorf("supervise: start %s: %w", path, err)
	}
	defer null.Close()
	files := []*os.File{null, orFile(p.spec.Stdout, null), orFile(p.spec.Stderr, null)}
	files = append(files, p.spec.ExtraFiles...)
	files = append(files, inc.Files...)
	if len(args) == 0 {
		args = []string{p.spec.Path}
	}
	env := p.spec.Env
	if inc.Env != nil {
		env = inc.Env
	}
	if env == nil {
		env = os.Environ()
	}
	attr := &os.ProcAttr{Dir: p.spec.Dir, Env: env, Files: files, Sys: &syscall.SysProcAttr{
		Setpgid:    true, // its own group, so Stop reaches everything it forks
		Credential: p.spec.Credential,
	}}
	pid, err = p.reaper.start(func() (int, error) {
		restore := setUmask(p.spec.Umask)
		child, err := os.StartProcess(path, args, attr)
		restore()
		if err != nil {
			return 0, err
		}
		pid := child.Pid
		child.Release()
		// Identity now, while the reaper cannot yet hand the exit to anyone;
		// if the child is already reaped, StartTime stays 0 and the
		// Identity matches nothing, which is the truth.
		if id, err := proc.Lookup(pid); err == nil {
			start = id.StartTime
		}
		return pid, nil
	}, p.childExited)
	if err != nil {
		return 0, 0, fmt.Errorf("supervise: start %s: %w", path, err)
	}
	return pid, start, nil
}

func orFile(f, fallback *os.File) *os.File {
	if f != nil {
		return f
	}
	return fallback
}

// setUmask sets the process umask to *m and returns a function restoring the
// old one; with m nil it does nothing.
func setUmask(m *fs.FileMode) (restore func()) {
	if m == nil {
		return func() {}
	}
	umaskMu.Lock()
	old := unix.Umask(int(*m & fs.ModePerm))
	return func() {
		unix.Umask(old)
		umaskMu.Unlock()
	}
}

// execExit describes a start that failed, with the shell's exit statuses:
// 127 for a program that does not exist, 126 for one that cannot be run.
func execExit(err error, at time.Time) *Exit {
	code := proc.ExitNotExecutable
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		code = proc.ExitNotFound
	}
	return &Exit{Code: code, Description: "cannot run: " + err.Error(), At: at}
}
