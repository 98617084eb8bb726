package supervisor

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// Processes is where a program's supervisors fork their processes and
// learn how they ended: the program itself ([LocalProcesses]), or tend's
// keeper, which forks and reaps for the host so that the daemons outlive
// it (see internal/keeper and internal/host).
type Processes interface {
	// Start forks and executes spec, and returns the child's pid and
	// start time. An exit of the child is not reported before Start has
	// returned it.
	Start(spec *Spec) (proc.Identity, error)
	// Exits delivers, batch after batch, every child reaped: those
	// Start made and the orphans that came back to the Parent.
	Exits() <-chan []Exited
	// Parent is the process whose children Start's processes are, the
	// child subreaper of their orphans.
	Parent() int
	// Waitable reports whether pid is a child of Parent whose exit is
	// still to come through Exits.
	Waitable(pid int) bool
	// Recorded says that the exits of pids are recorded: whoever reaped
	// them may forget them.
	Recorded(pids []int)
}

// Spec is a process to start: os.StartProcess's arguments, and what a
// supervisor needs beyond them.
type Spec struct {
	// Tag says whose process it is ("NAME/INCARNATION"); empty for a
	// short command.
	Tag  string
	Path string
	Argv []string
	Env  []string
	Dir  string
	// Files are the child's descriptors from 0; nil means closed.
	Files []*os.File
	// Cgroup, when not nil, is the cgroup v2 directory to be born in.
	Cgroup  *os.File
	Setpgid bool
	// Umask is the child's file mode creation mask; -1 leaves it as
	// the forking process's.
	Umask      int
	Credential *syscall.Credential
}

// Exited is a child that was reaped.
type Exited struct {
	PID    int
	Status unix.WaitStatus
}

// LocalProcesses returns the program's own: it forks its children itself
// and reaps them with wait4(-1), woken by SIGCHLD. There is one per
// program, made on first use, because wait4(-1) and SIGCHLD belong to
// the whole program (see the package doc).
func LocalProcesses() Processes {
	localOnce.Do(func() { theLocal = newLocal() })
	return theLocal
}

var (
	localOnce sync.Once
	theLocal  *local
)

// local is LocalProcesses.
type local struct {
	mu    sync.Mutex // held while forking and reaping: no exit before its Start returned
	umask sync.Mutex // held while the program's umask is a child's
	exits chan []Exited
}

func newLocal() *local {
	l := &local{exits: make(chan []Exited, 16)}
	// Before its first StartProcess, the os package forks a throwaway
	// child to check that pidfds work, and waits for it: done now, so
	// that the reaper below never takes that exit from it.
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
	sigc := make(chan os.Signal, 1)
	// Notify before any child exists: it also replaces an inherited
	// SIG_IGN for SIGCHLD, under which the kernel would reap children
	// itself and their exit statuses would be lost.
	signal.Notify(sigc, unix.SIGCHLD)
	go l.run(sigc)
	return l
}

func (l *local) Start(spec *Spec) (proc.Identity, error) {
	sys := &syscall.SysProcAttr{Setpgid: spec.Setpgid, Credential: spec.Credential}
	if spec.Cgroup != nil {
		bornIn(sys, spec.Cgroup)
	}
	attr := &os.ProcAttr{Dir: spec.Dir, Env: spec.Env, Files: spec.Files, Sys: sys}
	l.mu.Lock()
	defer l.mu.Unlock()
	if spec.Umask >= 0 {
		l.umask.Lock()
		old := unix.Umask(spec.Umask)
		defer func() { unix.Umask(old); l.umask.Unlock() }()
	}
	child, err := os.StartProcess(spec.Path, spec.Argv, attr)
	if err != nil {
		return proc.Identity{}, err
	}
	pid := child.Pid
	child.Release()
	// Identity now, while the reaper cannot yet report the exit; if the
	// child is already gone, StartTime stays 0 and the Identity matches
	// nothing, which is the truth.
	id := proc.Identity{PID: pid}
	if looked, err := proc.Lookup(pid); err == nil {
		id = looked
	}
	return id, nil
}

func (l *local) Exits() <-chan []Exited { return l.exits }
func (l *local) Parent() int            { return os.Getpid() }
func (l *local) Waitable(pid int) bool  { return waitable(pid) }
func (l *local) Recorded([]int)         {}

// run reaps every child that has exited each time SIGCHLD arrives.
// SIGCHLD coalesces, so each wakeup loops until wait4 has nothing more.
func (l *local) run(sigc <-chan os.Signal) {
	for {
		var batch []Exited
		l.mu.Lock()
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || pid <= 0 {
				break // ECHILD: no children; 0: none has exited
			}
			batch = append(batch, Exited{pid, ws})
		}
		l.mu.Unlock()
		if len(batch) > 0 {
			l.exits <- batch
		}
		<-sigc
	}
}
