package host

import (
	"os"

	"github.com/tendhq/tend/internal/keeper"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/supervisor"
)

// keeperProcesses are the supervisors' Processes in a host: the keeper
// forks and reaps them, so that they outlive the host.
type keeperProcesses struct {
	k     *keeper.Client
	exits chan []supervisor.Exited
}

func newKeeperProcesses(k *keeper.Client) *keeperProcesses {
	p := &keeperProcesses{k: k, exits: make(chan []supervisor.Exited)}
	go func() {
		for batch := range k.Exits() {
			out := make([]supervisor.Exited, len(batch))
			for i, e := range batch {
				out[i] = supervisor.Exited{PID: e.PID, Status: e.Status}
			}
			p.exits <- out
		}
	}()
	return p
}

func (p *keeperProcesses) Start(spec *supervisor.Spec) (proc.Identity, error) {
	var files []*os.File
	index := func(f *os.File) int {
		if f == nil {
			return -1
		}
		files = append(files, f)
		return len(files) - 1
	}
	s := &keeper.Spec{Tag: spec.Tag, Path: spec.Path, Argv: spec.Argv, Env: spec.Env, Dir: spec.Dir,
		Setpgid: spec.Setpgid, Umask: spec.Umask}
	for _, f := range spec.Files {
		s.Files = append(s.Files, index(f))
	}
	s.Cgroup = index(spec.Cgroup)
	if c := spec.Credential; c != nil {
		s.Credential = &keeper.Credential{UID: c.Uid, GID: c.Gid, Groups: c.Groups, NoSetGroups: c.NoSetGroups}
	}
	pid, start, err := p.k.Spawn(s, files)
	if err != nil {
		return proc.Identity{}, err
	}
	return proc.Identity{PID: pid, StartTime: start}, nil
}

func (p *keeperProcesses) Exits() <-chan []supervisor.Exited { return p.exits }
func (p *keeperProcesses) Parent() int                       { return p.k.KeeperPID() }

// Waitable: a child of the keeper, exited or not, is reaped by it, and
// its exit comes to the host.
func (p *keeperProcesses) Waitable(pid int) bool {
	ppid, err := proc.Parent(pid)
	return err == nil && ppid == p.k.KeeperPID()
}

func (p *keeperProcesses) Recorded(pids []int) { p.k.Ack(pids...) }
