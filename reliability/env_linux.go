package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// markEnv is in the environment of every tend the campaign runs, and so of
// every supervisor and (unless it clears its environment) every process of
// a daemon: how the campaign finds, and only ever kills, its own.
const markEnv = "TEND_CAMPAIGN"

// env is one experiment's world: its folder, its TEND_HOME, and what it
// must clean up.
type env struct {
	cfg    *config
	x      *experiment
	index  int
	dir    string // the experiment's temporary folder
	home   string // its TEND_HOME
	mark   string // the value of markEnv
	prefix string // of its daemons' names
	base   []string

	mu       sync.Mutex
	homes    []string        // other TEND_HOMEs a try used (on a tmpfs)
	mounts   []string        // tmpfs mounts to undo
	cgroups  map[string]bool // cgroups its daemons had
	removed  int             // cgroups tend left, which the campaign removed
	lingered int             // tries after which a process exited only after tend stop --all returned
}

func newEnv(cfg *config, x *experiment, index int) (*env, error) {
	e := &env{
		cfg: cfg, x: x, index: index,
		dir:     filepath.Join(cfg.tmp, fmt.Sprintf("%02d-%s", index, x.Name)),
		mark:    fmt.Sprintf("%s-%02d", cfg.token, index),
		prefix:  fmt.Sprintf("%s%02d", cfg.token, index),
		cgroups: map[string]bool{},
	}
	e.home = filepath.Join(e.dir, "home")
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		return nil, err
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TEND_") || strings.HasPrefix(k, "LISTEN_") || k == "NOTIFY_SOCKET" || k == "WATCHDOG_USEC" || k == "WATCHDOG_PID" {
			continue
		}
		e.base = append(e.base, kv)
	}
	e.base = append(e.base, markEnv+"="+e.mark)
	return e, nil
}

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

// name returns a daemon name for this try, unique in the run; suffix
// tells several apart.
func (t *T) name(suffix string) string {
	return fmt.Sprintf("%s-%d%s", t.e.prefix, t.I, suffix)
}

// arg returns an argument for sleep(1) that is unique to this try (k
// tells several apart) and lasts days: the process is found by it.
func (t *T) arg(k int) string {
	return fmt.Sprintf("%d.%02d%04d%d", 800000+t.e.cfg.tokenNum(), t.e.index, t.I, k)
}

// tokenNum is a number from the run's token, for sleep arguments.
func (c *config) tokenNum() int {
	n, _ := strconv.ParseInt(c.token[1:], 16, 64)
	return int(n % 100000)
}

// sleeping returns the live processes that run `sleep arg`.
func sleeping(arg string) []int {
	return withCmdline("sleep\x00" + arg + "\x00")
}

// file writes a file into the experiment's folder and returns its path.
func (t *T) file(name, text string, mode os.FileMode) (string, error) {
	p := filepath.Join(t.e.dir, fmt.Sprintf("%d-%s", t.I, name))
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		return "", err
	}
	return p, os.Chmod(p, mode)
}

// folder makes a folder in the experiment's folder.
func (t *T) folder(name string) (string, error) {
	p := filepath.Join(t.e.dir, fmt.Sprintf("%d-%s", t.I, name))
	if err := os.Mkdir(p, 0o755); err != nil {
		return "", err
	}
	return p, nil
}

// kill sends sig to pid, once it is sure that pid is a process of this
// experiment (its environment or command line says so) and still the same
// process (by its start time, through a pidfd).
func (t *T) kill(pid int, sig syscall.Signal) error {
	p, err := readStat(pid)
	if err != nil {
		return fmt.Errorf("pid %d: %w", pid, err)
	}
	if !t.e.ours(p) {
		return fmt.Errorf("pid %d (%s) is not a process of this experiment: not signalled", pid, p.comm)
	}
	return signalVerified(p, sig)
}

// ours reports whether p is a process of the experiment.
func (e *env) ours(p pinfo) bool {
	if p.pid == os.Getpid() {
		return false
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.pid))
	if bytes.Contains(append([]byte{0}, env...), []byte("\x00"+markEnv+"="+e.mark+"\x00")) {
		return true
	}
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
	return bytes.Contains(cmd, []byte(e.dir+"/"))
}

// useHome registers another TEND_HOME (on a tmpfs) for the cleanup.
func (e *env) useHome(home string) {
	e.mu.Lock()
	e.homes = append(e.homes, home)
	e.mu.Unlock()
}

// mountTmpfs mounts a tmpfs of size bytes in the experiment's folder,
// undone after the try.
func (t *T) mountTmpfs(size int) (string, error) {
	dir, err := t.folder("tmpfs")
	if err != nil {
		return "", err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		return "", fmt.Errorf("mount a tmpfs on %s: %w", dir, err)
	}
	t.e.mu.Lock()
	t.e.mounts = append(t.e.mounts, dir)
	t.e.mu.Unlock()
	return dir, nil
}

// afterTry stops what the try left (tend stop --all, continuing stopped
// processes first), kills what that left, removes cgroups and mounts.
// It returns what was left running after tend stop --all, or "".
func (e *env) afterTry(ctx context.Context) string {
	// Cleanup runs even when the campaign was interrupted.
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	homes := append([]string{e.home}, e.homes...)
	e.homes = nil
	e.mu.Unlock()
	for _, p := range e.processes() {
		if p.state == 'T' || p.state == 't' {
			signalVerified(p, syscall.SIGCONT)
		}
	}
	var stops []string
	for _, h := range homes {
		if _, err := os.Stat(h); err != nil {
			continue
		}
		e.collectCgroups(h)
		r := e.run(ctx, opts{home: h, timeout: 60 * time.Second}, e.cfg.tend, "stop", "--all")
		if r.fail != nil || r.code != 0 {
			stops = append(stops, r.String())
		}
	}
	t0 := time.Now()
	// A supervisor lets go of its name just before it exits: give what
	// is on its way out a moment before calling it left behind.
	grace := time.Now().Add(3 * time.Second)
	lingered := 0
	for ps := e.processes(); len(ps) > 0 && time.Now().Before(grace); ps = e.processes() {
		lingered = len(ps)
		time.Sleep(10 * time.Millisecond)
	}
	if lingered > 0 && len(e.processes()) == 0 {
		e.lingered++
	}
	left := e.sweep()
	t1 := time.Now()
	e.removeCgroups()
	e.unmount()
	if e.cfg.verbose {
		fmt.Fprintf(os.Stderr, "reliability: %s: cleanup: sweep %s, cgroups and mounts %s\n", e.x.Name, t1.Sub(t0), time.Since(t1))
	}
	if len(left) == 0 {
		return ""
	}
	msg := fmt.Sprintf("after `tend stop --all`, %d processes of the experiment still ran (killed by the campaign): %s", len(left), strings.Join(left, "; "))
	if len(stops) > 0 {
		msg += "; the stop said: " + strings.Join(stops, "; ")
	}
	return msg
}

// close cleans up at the end of the experiment and returns notes on it.
func (e *env) close() []string {
	var notes []string
	if left := e.sweep(); len(left) > 0 {
		notes = append(notes, fmt.Sprintf("%d processes killed at the end", len(left)))
	}
	e.removeCgroups()
	e.unmount()
	if e.lingered > 0 {
		notes = append(notes, fmt.Sprintf("tries after which a process of the daemon exited only after `tend stop --all` returned: %d", e.lingered))
	}
	if e.removed > 0 {
		notes = append(notes, fmt.Sprintf("cgroups that tend left and the campaign removed: %d", e.removed))
	}
	if err := os.RemoveAll(e.dir); err != nil {
		notes = append(notes, "could not remove "+e.dir+": "+err.Error())
	}
	return notes
}

// processes returns the live processes of the experiment, and their
// descendants (nginx's workers rewrite their environment).
func (e *env) processes() []pinfo {
	all := allProcesses()
	in := map[int]bool{}
	var members []int
	e.mu.Lock()
	for g := range e.cgroups {
		filepath.WalkDir(g, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "cgroup.procs" {
				b, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(b)) {
					n, _ := strconv.Atoi(f)
					members = append(members, n)
				}
			}
			return nil
		})
	}
	e.mu.Unlock()
	for _, p := range all {
		if p.pid != os.Getpid() && (e.ours(p) || slices.Contains(members, p.pid)) {
			in[p.pid] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, p := range all {
			if !in[p.pid] && in[p.ppid] && p.pid != os.Getpid() {
				in[p.pid], changed = true, true
			}
		}
	}
	var out []pinfo
	for _, p := range all {
		if in[p.pid] && p.state != 'Z' && p.state != 'X' {
			out = append(out, p)
		}
	}
	return out
}

// sweep kills every process of the experiment (checked by pid and start
// time) and waits for them to go. It returns what it killed.
func (e *env) sweep() []string {
	e.collectCgroups(e.home)
	var killed []string
	for range 3 {
		ps := e.processes()
		if len(ps) == 0 {
			break
		}
		for _, p := range ps {
			if signalVerified(p, syscall.SIGKILL) == nil {
				cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
				killed = append(killed, fmt.Sprintf("pid %d `%s`", p.pid, clip(strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")), 120)))
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(e.processes()) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return killed
}

// collectCgroups notes the cgroups that the daemons of home recorded.
func (e *env) collectCgroups(home string) {
	recs, _ := filepath.Glob(filepath.Join(home, "*", "status.json"))
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range recs {
		var rec struct {
			Cgroup string `json:"cgroup"`
		}
		b, _ := os.ReadFile(f)
		if json.Unmarshal(b, &rec) == nil && rec.Cgroup != "" && strings.Contains(filepath.Base(rec.Cgroup), e.prefix) {
			e.cgroups[rec.Cgroup] = true
		}
	}
	for _, root := range cgroupParents() {
		gs, _ := filepath.Glob(filepath.Join(root, "tend-"+e.prefix+"*"))
		for _, g := range gs {
			e.cgroups[g] = true
		}
	}
}

// removeCgroups removes the experiment's cgroups that still exist once its
// processes are gone (tend should have removed them), their sub-groups
// (one per instance) first.
func (e *env) removeCgroups() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for g := range e.cgroups {
		if _, err := os.Stat(g); err != nil {
			delete(e.cgroups, g)
			continue
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			err := removeGroup(g)
			if err == nil {
				e.removed++
				delete(e.cgroups, g)
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// removeGroup removes a cgroup and the groups under it, deepest first.
func removeGroup(g string) error {
	ents, err := os.ReadDir(g)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	for _, ent := range ents {
		if ent.IsDir() {
			if err := removeGroup(filepath.Join(g, ent.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(g); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// unmount undoes the experiment's tmpfs mounts.
func (e *env) unmount() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.mounts {
		if err := unix.Unmount(m, 0); err != nil {
			unix.Unmount(m, unix.MNT_DETACH)
		}
	}
	e.mounts = nil
}

// cgroupParents returns the cgroup v2 folders where tend makes a
// daemon's group when the campaign starts it: the campaign's own group in
// every cgroup2 mount.
func cgroupParents() []string {
	own := ""
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(l, "0::"); ok {
				own = p
			}
		}
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) >= 5 && len(g) >= 1 && g[0] == "cgroup2" {
			out = append(out, filepath.Join(f[4], own))
		}
	}
	return out
}
