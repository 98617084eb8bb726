package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/startwatch"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// SuperviseCommand is the hidden tend command that a supervisor runs as:
// `tend supervise NAME`, with the definition on its first extra
// descriptor (see Start).
const SuperviseCommand = "supervise"

// SupervisorConfig is how a daemon's supervisor detaches: the same in the
// process that launches it and in the supervisor itself, which calls
// daemon.Detach with it again.
func SupervisorConfig(dir state.Dir) daemon.Config {
	return daemon.Config{
		Name:    "tend",
		PIDFile: dir.SupervisorPIDFile(),
		// The supervisor's own stderr (a panic, say); the daemon's output
		// goes to its log.
		LogFile: filepath.Join(dir.Path, "supervisor.log"),
		// Every file the supervisor opens by a name a user gives (env
		// files, logs, pidfile) is opened with O_NOCTTY, and its own files
		// live in its private folder, so it may stay a session leader
		// (daemon(7)): one exec less.
		SkipSecondFork: true,
	}
}

// OneshotWait bounds the wait for a one-shot without --ready-timeout:
// its run takes as long as it takes.
const OneshotWait = 24 * time.Hour

// ReadyVerdictTimeout bounds the launcher's wait for a supervisor's
// verdict: the daemon's ready timeout, the stop schedule of a daemon that
// was not ready, and a margin.
func ReadyVerdictTimeout(def *definition.Definition) time.Duration {
	t := def.ReadyTimeoutOrDefault()
	if def.Oneshot && !def.Scheduled() && def.ReadyTimeout == 0 {
		t = OneshotWait // a one-shot is ready once it has completed
	}
	if sched, err := def.Schedule(); err == nil {
		for _, step := range sched {
			t += step.Wait
		}
	}
	return t + 30*time.Second
}

// Start launches a supervisor for the daemon def in dir and returns the
// daemon's main pid once it is ready (per --ready), or the daemon's own
// verdict: it could not be started, or was not ready. The supervisor is
// this program run again as `tend supervise NAME`, detached by the daemon
// library, with the definition passed on a descriptor (not its command
// line, which every user can read, nor its environment, which is
// limited in size). A daemon that runs already gives an error wrapping
// daemon.ErrAlreadyRunning.
func Start(ctx context.Context, dir state.Dir, def *definition.Definition) (int, error) {
	if UseHost() && !def.Isolated {
		s, err := startInHost(ctx, dir, def)
		return s.PID, err
	}
	f, err := definitionFile(def)
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", def.Name, err)
	}
	defer f.Close()
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", def.Name, err)
	}
	root := filepath.Dir(dir.Path)
	cfg := SupervisorConfig(dir)
	cfg.ReadyTimeout = ReadyVerdictTimeout(def)
	cfg.ExtraFiles = []*os.File{f}
	cfg.Args = []string{self, SuperviseCommand, def.Name}
	cfg.Env = append(launchEnv(os.Environ()), "TEND_HOME="+root)
	sup, err := daemon.Launch(cfg)
	if errors.Is(err, daemon.ErrAlreadyRunning) {
		if _, alive := lockHolder(dir); !alive {
			// The lock of a supervisor that was just killed lingers a
			// moment after it died: the kernel closes a killed
			// process's files once all its threads are gone.
			if werr := waitUnlocked(ctx, dir, proc.Identity{}); werr == nil {
				sup, err = daemon.Launch(cfg)
			}
		}
	}
	if err != nil {
		if v, ierr := Inspect(dir); ierr == nil && v.Condition == Lost {
			// Its supervisor died, not its daemon.
			return 0, fmt.Errorf("%w; its supervisor is gone but %d of its processes still run: "+
				"tend status %s shows them, tend stop %s ends them", err, len(v.Leftovers), dir.Name, dir.Name)
		}
		return 0, err
	}
	// The supervisor writes its record before it says the daemon is
	// ready: the record names the main process. Inspect would also ask
	// the supervisor, a round trip on the start path for the same answer.
	var rec status.Record
	if err := state.ReadJSON(dir.StatusFile(), &rec); err == nil && rec.Supervisor.PID == sup && rec.PID > 0 {
		return rec.PID, nil
	}
	if v, err := Inspect(dir); err == nil {
		return v.PID, nil
	}
	return 0, nil
}

// HostEnvOf is the environment a host gets from the tend that starts it:
// env without what tells tend it runs under a service manager (see
// launchEnv) and without TEND_HOME, which the caller sets.
func HostEnvOf(env []string) []string { return launchEnv(env) }

// launchEnv is the environment of a supervisor started by Start: this
// one, without what tells tend it runs under a service manager (tend up
// --foreground may; the daemons it starts must detach, not stay in the
// foreground and notify in its name), and without TEND_HOME, which Start
// sets.
func launchEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "INVOCATION_ID", daemon.ForegroundEnv, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			"WATCHDOG_USEC", "WATCHDOG_PID", "TEND_HOME":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// ReadDefinition reads the definition that Start passed to a supervisor.
func ReadDefinition(f *os.File) (*definition.Definition, error) {
	var def definition.Definition
	b, err := io.ReadAll(io.LimitReader(f, state.MaxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the definition: %w", err)
	}
	if err := json.Unmarshal(b, &def); err != nil {
		return nil, fmt.Errorf("read the definition: %w", err)
	}
	return &def, nil
}

// StartSettled is Start followed by the watch of the start
// (startwatch): it returns once the daemon has settled, or a crash during
// its start (a *startwatch.CrashError, or a *HostError with
// api.CodeCrashed). The host watches the start itself; tend does it for a
// daemon that a supervisor process of its own runs.
func StartSettled(ctx context.Context, dir state.Dir, def *definition.Definition) (startwatch.Result, error) {
	if UseHost() && !def.Isolated {
		s, err := startInHost(ctx, dir, def)
		return startwatch.Result{PID: s.PID, Crashes: s.CrashesAtStart, Ended: s.EndedAtStart}, err
	}
	pid, err := Start(ctx, dir, def)
	if err != nil {
		return startwatch.Result{}, err
	}
	return startwatch.Watch(func() (*View, error) {
		// Inspect, not Peek: the answer must include a crash the
		// supervisor has seen but not yet written (TestCrashAtStart).
		return Inspect(dir)
	}, def, pid)
}

// startInHost has the host of dir's state folder start def (starting the
// host first if none runs), and returns the daemon's record once it is
// ready, or the daemon's verdict (a *HostError).
func startInHost(ctx context.Context, dir state.Dir, def *definition.Definition) (api.Started, error) {
	ctx, cancel := context.WithTimeout(ctx, ReadyVerdictTimeout(def))
	defer cancel()
	h, err := DialHost(ctx, filepath.Dir(dir.Path))
	if err != nil {
		return api.Started{}, fmt.Errorf("start %s: %w", def.Name, err)
	}
	s, err := h.Start(ctx, def)
	if errors.Is(err, errHostDied) {
		// The new host took over whatever the start had begun: it runs
		// now, as the definition asked, or the start did not happen.
		if werr := h.waitUp(ctx, hostStartWait); werr != nil {
			return s, err
		}
		for {
			v, verr := hostView(dir)
			if verr == nil && slices.Equal(v.Command, def.Command) {
				switch v.Condition {
				case Condition(status.Running):
					return api.Started{Record: v.Record}, nil
				case Condition(status.Starting), Condition(status.BackingOff):
					// Taken over mid-start: its verdict is coming.
					select {
					case <-ctx.Done():
						return s, ctx.Err()
					case <-time.After(10 * time.Millisecond):
					}
					continue
				}
			}
			break
		}
		s, err = h.Start(ctx, def)
	}
	return s, err
}
