package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tendhq/tend/internal/account"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	statedir "github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// spawner is what every incarnation is started with, worked out once from
// the definition: the program, its environment and credentials.
type spawner struct {
	path   string   // the program, looked up in the child's PATH
	args   []string // argv, the program's name first
	dir    string
	env    []string // before the per-supervisor additions (readiness.go)
	cred   *syscall.Credential
	limits []string // --limit, set by ExecLimited
}

func newSpawner(def *definition.Definition) (spawner, error) {
	env, err := def.Environment()
	if err != nil {
		return spawner{}, err
	}
	cred, err := account.Lookup(def.User, def.Group)
	if err != nil {
		return spawner{}, err
	}
	dir := def.Dir
	if dir == "" {
		dir = "/"
	}
	return spawner{path: def.Program(env), args: def.Command, dir: dir, env: env, cred: cred, limits: def.Limits}, nil
}

// spawn starts incarnation inc of instance in and tells the machine how
// it went.
func (s *Supervisor) spawn(in *instance, inc int) event {
	now := time.Now()
	id, err := s.startProcess(in, inc)
	if err != nil {
		s.incs[inc].release()
		return event{kind: evSpawnFailed, at: time.Now(), inc: inc, exit: execExit(err, time.Now())}
	}
	return event{kind: evSpawned, at: now, inc: inc, main: id}
}

// startProcess has the daemon's command forked and executed (by the
// Processes of its reaper): in its own process group, in its
// incarnation's cgroup when there is one, with its readiness descriptors
// and sockets. Exec failures are reported synchronously.
func (s *Supervisor) startProcess(in *instance, inc int) (proc.Identity, error) {
	sp := s.spawner
	if in.m.next != nil && in.m.next.id == inc && s.candidate != nil {
		sp = *s.candidate // a reload starts the definition as stored
	}
	r := &running{}
	s.incs[inc] = r
	path, args := sp.path, sp.args
	if !strings.Contains(path, "/") {
		var err error
		if path, err = exec.LookPath(path); err != nil {
			return proc.Identity{}, fmt.Errorf("start %s: %w", sp.path, err)
		}
	}
	if fi, err := os.Stat(sp.dir); err != nil {
		return proc.Identity{}, fmt.Errorf("start %s: working directory: %w", path, err)
	} else if !fi.IsDir() {
		return proc.Identity{}, fmt.Errorf("start %s: working directory %s: %w", path, sp.dir, syscall.ENOTDIR)
	}
	files, err := s.readying.prepare(inc, r)
	if err != nil {
		return proc.Identity{}, fmt.Errorf("start %s: %w", path, err)
	}
	s.readying.armLog(inc, in.out)
	stdout, stderr := in.out.files()
	files = append([]*os.File{s.output.stdin, stdout, stderr}, files...)
	spec := &Spec{Tag: Tag(s.def.Name, inc, in.index), Setpgid: true, // its own group, apart from the supervisor's
		Credential: sp.cred, Dir: sp.dir, Files: files, Umask: int(s.def.UmaskMode())}
	cgfd, err := s.tracker.prepare(inc)
	if err != nil {
		return proc.Identity{}, fmt.Errorf("start %s: %w", path, err)
	}
	if cgfd != nil {
		defer cgfd.Close()
		spec.Cgroup = cgfd
	}
	argv := args
	if shim := s.readying.shim; shim != nil {
		// /bin/sh sh -c SCRIPT, then the program as $0 and its arguments.
		argv = append(append(append([]string{}, shim[1:]...), path), args[1:]...)
		path = shim[0]
	}
	env := append(s.readying.envFor(sp), InstanceEnv+"="+strconv.Itoa(in.index))
	r.env, r.dir = env, sp.dir
	if path, argv, env, err = limited(sp.limits, path, argv, env); err != nil {
		return proc.Identity{}, err
	}
	spec.Path, spec.Argv, spec.Env = path, argv, env
	id, err := s.reaper.startMain(s, spec)
	if err == nil {
		crashAt("start-forked")
	}
	r.started()
	if err != nil {
		return proc.Identity{}, fmt.Errorf("start %s: %w", path, err)
	}
	return id, nil
}

// execExit describes a start that failed, with the shell's exit statuses:
// 127 for a program that does not exist, 126 for one that cannot be run.
func execExit(err error, at time.Time) *status.Exit {
	code := proc.ExitNotExecutable
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		code = proc.ExitNotFound
	}
	return &status.Exit{Code: code, Description: "cannot run: " + err.Error(), At: at}
}

// refreshDefinition reads the daemon's stored definition and its env
// files again, for a reload: the command, its arguments, environment,
// working directory and user may change; anything else (sockets, log,
// readiness, the restart policy) is the supervisor's own, and a change
// of it asks for tend restart instead. The new definition is a candidate:
// the reload's new incarnations start from it, and it becomes the
// daemon's (for restarts, new instances) once the reload has succeeded
// (reloadDone).
func (s *Supervisor) refreshDefinition(given *definition.Definition) error {
	def := s.def
	if given != nil {
		if err := given.Validate(); err != nil {
			return fmt.Errorf("reload %s: %w", s.def.Name, err)
		}
		if _, what := s.def.Changes(given); len(what) > 0 {
			return fmt.Errorf("reload %s: %s changed, which a reload cannot apply: use tend restart %s",
				s.def.Name, strings.Join(what, ", "), s.def.Name)
		}
		def = given
	} else if s.stateful() {
		var stored definition.Definition
		if err := statedir.ReadJSON(s.cfg.Dir.DefinitionFile(), &stored); err != nil {
			return fmt.Errorf("reload %s: %w", s.def.Name, err)
		}
		if err := stored.Validate(); err != nil {
			return fmt.Errorf("reload %s: its stored definition: %w", s.def.Name, err)
		}
		if _, what := s.def.Changes(&stored); len(what) > 0 {
			return fmt.Errorf("reload %s: %s changed, which a reload cannot apply: use tend restart %s",
				s.def.Name, strings.Join(what, ", "), s.def.Name)
		}
		def = &stored
	}
	sp, err := newSpawner(def)
	if err != nil {
		return fmt.Errorf("reload %s: %w", def.Name, err)
	}
	s.candidate, s.candidateDef = &sp, def
	return nil
}

// reloadDone ends a reload: a successful one makes the candidate
// definition the daemon's (and, with store, the stored one: a definition
// given with the request is stored only once it works); a failed one
// forgets it.
type reloadDone struct{ ok, store bool }

func (s *Supervisor) reloadDone(d reloadDone) {
	if d.ok && s.candidate != nil {
		s.def, s.spawner = s.candidateDef, *s.candidate
		s.rec.Command = s.def.Command
		if d.store && s.stateful() {
			if err := statedir.WriteJSON(s.cfg.Dir.DefinitionFile(), s.def, 0o600); err != nil {
				s.events.Error("store the reloaded definition", "err", err)
			}
		}
	}
	s.candidate, s.candidateDef = nil, nil
}
