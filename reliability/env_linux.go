package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
