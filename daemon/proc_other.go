//go:build unix && !linux

package daemon

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const canReapOrphans = false

func becomeSubreaper() {}

func executable() (string, error) { return os.Executable() }

func redirectStderrToStdout() error { return unix.Dup2(1, 2) }

// stageFile is nil here: the stage travels in the environment.
func stageFile(st stage) (*os.File, error) { return nil, nil }

// stageEnvironment is the environment a stage is started with: the
// user's, with the stage marker, which the final stage removes.
func stageEnvironment(env []string, st stage) []string { return withStage(env, st) }

func stageMarker() (string, bool) { return os.LookupEnv(stageEnv) }

// cleanFork has no portable way to clean the signal state of a child
// here; stages start with the launcher's.
type cleanFork struct{}

func beginCleanFork() *cleanFork { return &cleanFork{} }

// clean reports true: nothing more can be done on this system, so the
// stage goes on as it is.
func (c *cleanFork) clean() bool { return true }

func (c *cleanFork) end() {}

// setProcessName does nothing here: stages are executed by their path, so
// the system names them already.
func setProcessName(argv0 string) {}

// execClean is not reached here (cleanFork.clean is always true).
func execClean(path string, argv, env []string, marker stage) error { return nil }

// child is a stage this process started.
type child struct {
	pid int
	p   *os.Process
}

func startChild(path string, argv, env []string, files []*os.File, setsid bool) (*child, error) {
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{Setsid: setsid}})
	if err != nil {
		return nil, err
	}
	return &child{pid: p.Pid, p: p}, nil
}

// wait reaps the child and returns how it ended.
func (c *child) wait() waited {
	ps, err := c.p.Wait()
	if err != nil {
		return waited{err: err}
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	return waited{ws: unix.WaitStatus(ws)}
}

func (c *child) signal(sig unix.Signal) error { return c.p.Signal(sig) }

func (c *child) release() {}
