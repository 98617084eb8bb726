package supervisor

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
)

// doHook is the machine's effect that runs a hook: --on-exit after an
// exit of the main process (exit), --on-failure when the daemon failed
// for good (exit: its last, if any). The supervisor fills in the rest
// (TEND_STATE is the state the transition left the daemon in).
type doHook struct {
	hook     string
	exit     *status.Exit
	restarts int
}

// hook emits the doHook of name, when the definition has that hook.
func (m *machine) hook(name string, exit *status.Exit) {
	if name == definition.HookOnExit && !m.cfg.onExit || name == definition.HookOnFailure && !m.cfg.onFailure {
		return
	}
	m.emit(doHook{hook: name, exit: exit, restarts: m.restarts})
}

// hooks runs the daemon's hooks one at a time, on behalf of the loop,
// which owns it: a hook due while another runs waits, in order; at most
// one of each kind waits, so that a crash loop does not pile them up: an
// --on-exit due while another --on-exit waits already is skipped (the
// --on-failure, which comes once, is never skipped). What is skipped is
// counted, and the event log says so.
type hooks struct {
	running *hookRun
	waiting []*hookRun
	skipped int
}

// hookRun is one run: what the record shows of it, and how to run it.
type hookRun struct {
	rec  status.HookRun
	env  []string
	dir  string
	done chan hookResult // the run's goroutine sends its result once
}

type hookResult struct {
	code     int
	how      string
	out      []byte
	err      error
	timedOut bool
}

// hookDone tells the loop that the running hook ended.
type hookDone struct{ run *hookRun }

// runHook starts the hook of e, or has it wait for the one that runs.
func (s *Supervisor) runHook(in *instance, e doHook) {
	cmd := s.def.Hook(e.hook)
	if cmd == "" {
		return
	}
	// The daemon's environment, without exit variables of its own.
	env := unsetEnv(unsetEnv(slices.Clone(s.spawner.env), "TEND_EXIT_SIGNAL"), "TEND_EXIT_STATUS")
	set := func(k, v string) { env = definition.SetEnv(env, k, v) }
	set("TEND_NAME", s.def.Name)
	set("TEND_PROJECT", s.def.Project)
	set("TEND_RESTARTS", strconv.Itoa(e.restarts))
	set("TEND_STATE", string(in.m.state.status()))
	set(InstanceEnv, strconv.Itoa(in.index))
	if x := e.exit; x != nil && x.Signal != "" {
		set("TEND_EXIT_SIGNAL", x.Signal)
	} else if x != nil && x.Code >= 0 {
		set("TEND_EXIT_STATUS", strconv.Itoa(x.Code))
	}
	run := &hookRun{rec: status.HookRun{Hook: e.hook, Command: cmd}, env: env, dir: s.spawner.dir, done: make(chan hookResult, 1)}
	h := &s.hooks
	switch {
	case h.running == nil:
		s.startHook(run)
	case slices.ContainsFunc(h.waiting, func(w *hookRun) bool { return w.rec.Hook == e.hook }):
		h.skipped++
		s.events.Warn("hook skipped: one like it waits already for the one that runs", "hook", e.hook, "running", h.running.rec.Hook, "skipped", h.skipped)
	default:
		run.rec.Waited = true
		h.waiting = append(h.waiting, run)
		s.events.Info("hook waits for the one that runs", "hook", e.hook, "running", h.running.rec.Hook)
	}
}

// unsetEnv returns env without key, in place.
func unsetEnv(env []string, key string) []string {
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// startHook runs the hook in a goroutine of its own, through the
// supervisor's reaper (runShort), killed at the hook timeout.
func (s *Supervisor) startHook(run *hookRun) {
	s.hooks.running = run
	run.rec.StartedAt = time.Now()
	run.rec.Skipped = s.hooks.skipped
	rec := run.rec
	s.rec.Hook = &rec
	s.events.Info("hook started", "hook", run.rec.Hook, "command", run.rec.Command)
	timeout := s.def.HookTimeoutOrDefault()
	argv := []string{"/bin/sh", "-c", run.rec.Command}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		code, how, out, err := s.runShort(ctx, argv, run.env, run.dir)
		run.done <- hookResult{code: code, how: how, out: out, err: err, timedOut: ctx.Err() != nil && err == nil}
		s.inbox.post(hookDone{run})
	}()
}

// hookEnded records how the running hook ended, and starts the one that
// waits. It is the loop's, or the shutdown's once the loop has ended.
func (s *Supervisor) hookEnded(run *hookRun, res hookResult) {
	if s.hooks.running != run {
		return
	}
	rec := run.rec
	rec.EndedAt = time.Now()
	rec.TimedOut = res.timedOut
	out := strings.TrimSpace(string(res.out))
	if len(out) > status.MaxHookOutput {
		out = "..." + out[len(out)-status.MaxHookOutput:]
	}
	rec.Output = out
	level := slog.LevelInfo
	attrs := []any{"hook", rec.Hook, "command", rec.Command, "took", rec.EndedAt.Sub(rec.StartedAt).Round(time.Millisecond).String()}
	if res.err != nil {
		rec.Err, level = res.err.Error(), slog.LevelWarn
		attrs = append(attrs, "err", rec.Err)
	} else {
		rec.Exit = &status.Exit{Code: res.code, Description: res.how, At: rec.EndedAt}
		if res.timedOut {
			rec.Exit.Description = "killed at the hook timeout (" + s.def.HookTimeoutOrDefault().String() + ")"
		}
		if res.code != 0 {
			level = slog.LevelWarn
		}
		attrs = append(attrs, "how", rec.Exit.Description)
	}
	if out != "" {
		attrs = append(attrs, "output", out)
	}
	s.events.Log(context.Background(), level, "hook ended", attrs...)
	s.rec.Hook = &rec
	s.hooks.running = nil
	if len(s.hooks.waiting) > 0 {
		next := s.hooks.waiting[0]
		s.hooks.waiting = s.hooks.waiting[1:]
		s.startHook(next)
	}
}

// finishHooks lets the hooks that run or wait end, once the loop is over
// (the daemon stopped or failed for good: its --on-failure hook runs
// now), each bounded by the hook timeout.
func (s *Supervisor) finishHooks() {
	for s.hooks.running != nil {
		run := s.hooks.running
		s.hookEnded(run, <-run.done)
	}
}
