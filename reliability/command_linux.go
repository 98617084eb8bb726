package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Running commands: tend and the programs around it, with the
// experiment's environment, bounded in time.

// opts are how a command runs.
type opts struct {
	dir     string
	env     []string
	home    string        // TEND_HOME, when not the experiment's
	timeout time.Duration // 30 s when zero
	wrap    []string      // run tend through this command (nohup, unshare)
	files   []*os.File    // extra descriptors from 3 on
	cred    *syscall.Credential
	start   func(*exec.Cmd) // called once it started
}

// res is how a command ended.
type res struct {
	args     []string
	code     int // -1 when it did not run to its end
	out, err string
	took     time.Duration
	fail     error
}

func (r res) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` ", shellQuote(r.args))
	switch {
	case r.fail != nil:
		fmt.Fprintf(&b, "failed after %s: %v", short(r.took), r.fail)
	default:
		fmt.Fprintf(&b, "exited %d after %s", r.code, short(r.took))
	}
	if s := strings.TrimSpace(r.out); s != "" {
		fmt.Fprintf(&b, "; stdout: %s", clip(s, 600))
	}
	if s := strings.TrimSpace(r.err); s != "" {
		fmt.Fprintf(&b, "; stderr: %s", clip(s, 600))
	}
	return b.String()
}

// clip shortens s to about n bytes, keeping its start and end.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n*2/3] + fmt.Sprintf(" [... %d bytes ...] ", len(s)-n) + s[len(s)-n/3:]
}

// shellQuote prints a command line as one could paste it (long words cut).
func shellQuote(args []string) string {
	var out []string
	for _, a := range args {
		if len(a) > 80 {
			a = a[:40] + fmt.Sprintf("...(%d bytes)", len(a))
		}
		if a == "" || strings.ContainsAny(a, " \t\n'\"$&|;<>()*?\\`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// run runs a command of the campaign's: tend with o.wrap in front, or
// any program, with the experiment's environment.
func (e *env) run(ctx context.Context, o opts, name string, args ...string) res {
	timeout := o.timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := append(append(slices.Clone(o.wrap), name), args...)
	r := res{args: argv, code: -1}
	if name == e.cfg.tend {
		r.args = append(append(slices.Clone(o.wrap), "tend"), args...)
	}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir = o.dir
	home := e.home
	if o.home != "" {
		home = o.home
	}
	c.Env = append(append(slices.Clone(e.base), "TEND_HOME="+home), o.env...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	c.ExtraFiles = o.files
	c.WaitDelay = 2 * time.Second // a daemon that kept our pipes must not hold us
	if o.cred != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	began := time.Now()
	err := c.Start()
	if err == nil {
		if o.start != nil {
			o.start(c)
		}
		err = c.Wait()
	}
	r.took = time.Since(began)
	r.out, r.err = out.String(), errb.String()
	defer func() {
		if e.cfg.verbose {
			fmt.Fprintf(os.Stderr, "reliability: %s: %v\n", e.x.Name, clip(r.String(), 300))
		}
	}()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.fail = fmt.Errorf("no answer within %s: killed", timeout)
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	case err != nil:
		r.fail = err
	default:
		r.code = 0
	}
	return r
}

// tend runs tend.
func (t *T) tend(args ...string) res { return t.tendO(opts{}, args...) }

// tendO runs tend with options.
func (t *T) tendO(o opts, args ...string) res {
	t.Step("tend %s", shellQuote(args))
	o.env = append(slices.Clone(t.env), o.env...)
	return t.e.run(t.ctx, o, t.e.cfg.tend, args...)
}

// status is what `tend status --json` prints.
type status struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	PID      int    `json:"pid"`
	Sup      int    `json:"supervisor_pid"`
	Restarts int    `json:"restarts"`
	LastExit *struct {
		Code        int    `json:"code"`
		Signal      string `json:"signal"`
		Description string `json:"description"`
	} `json:"last_exit"`
	Error     string `json:"error"`
	Log       string `json:"log"`
	LogError  string `json:"log_error"`
	LostLines int64  `json:"lost_lines"`
	Stale     bool   `json:"stale"`
	Adopted   string `json:"adopted"`
	Processes []int  `json:"processes"`
	SupAlive  bool   `json:"supervisor_alive"`
}

// status runs tend status --json NAME.
func (t *T) status(name string) (status, res, error) {
	return t.statusO(opts{}, name)
}

func (t *T) statusO(o opts, name string) (status, res, error) {
	r := t.tendO(o, "status", "--json", name)
	var s status
	if r.fail != nil {
		return s, r, r.fail
	}
	if r.code == 4 {
		return s, r, fmt.Errorf("no daemon %s: %v", name, r)
	}
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		return s, r, fmt.Errorf("status --json %s printed no status: %v", name, r)
	}
	return s, r, nil
}
