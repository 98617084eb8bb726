package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Cleaning up after a try and after an experiment: tend stop --all, then
// whatever is left of the experiment's processes (killed by pid and start
// time), cgroups and tmpfs mounts.

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
		// And the home's host with its keeper, which a stop of its
		// daemons leaves running.
		r = e.run(ctx, opts{home: h, timeout: 60 * time.Second}, e.cfg.tend, "host", "stop")
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
	msg := fmt.Sprintf("after `tend stop --all` and `tend host stop`, %d processes of the experiment still ran (killed by the campaign): %s", len(left), strings.Join(left, "; "))
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
		if fi, err := os.Lstat(f); err != nil || !fi.Mode().IsRegular() {
			continue // a FIFO an experiment put there would block the read
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
