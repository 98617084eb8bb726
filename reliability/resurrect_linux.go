package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Issue 25, items 3 and 4: tend resurrect after a reboot.

// tryResurrectTwice (25.3): three daemons, then a reboot as the campaign
// can make one (kill -9 of the keeper, the host and the daemons), then
// two `tend resurrect` at once: both exit 0, each daemon is said started
// by one of them only, runs once, as that pid, not restarted since.
func tryResurrectTwice(t *T) error {
	names := []string{t.name("-a"), t.name("-b"), t.name("-c")}
	if err := t.startAndReboot(names); err != nil {
		return err
	}
	var rs [2]res
	parallel(func() { rs[0] = t.tend("resurrect") }, func() { rs[1] = t.tend("resurrect") })
	var p problems
	said := map[string]int{}
	for _, r := range rs {
		if r.code != 0 {
			p.add("%v; expected exit 0", r)
		}
		for _, line := range strings.Split(r.out, "\n") {
			name, rest, ok := strings.Cut(line, ": started (pid ")
			if !ok {
				continue
			}
			pid, _ := strconv.Atoi(strings.TrimSuffix(rest, ")"))
			if _, twice := said[name]; twice {
				t.count("daemons started by both", 1)
				p.add("%s was started by both resurrects: %v; %v", name, rs[0], rs[1])
			}
			said[name] = pid
		}
	}
	for k, name := range names {
		s, _, err := t.status(name)
		copies := sleeping(t.arg(k))
		switch {
		case err != nil:
			p.add("status %s: %v", name, err)
		case s.State != "running" || s.PID != said[name] || s.Restarts != 0 || !slices.Equal(copies, []int{s.PID}):
			t.count("daemons started twice or stopped", 1)
			p.add("%s after two resurrects: %s pid %d, restarts %d, copies %v; said started as pid %d (%v; %v)",
				name, s.State, s.PID, s.Restarts, copies, said[name], rs[0], rs[1])
		}
	}
	return p.err()
}

// reboot is what the campaign can do of a machine going down: kill -9 of
// the host's keeper, the host, and the processes given (the daemons').
func (t *T) reboot(victims ...pinfo) error {
	host, err := t.hostPID()
	if err != nil {
		return err
	}
	hp, err := t.ours(host)
	if err != nil {
		return fmt.Errorf("the host: %w", err)
	}
	keeper, err := t.ours(hp.ppid)
	if err != nil {
		return fmt.Errorf("the host's keeper: %w", err)
	}
	t.Step("a reboot: kill -9 of the keeper, the host and the daemons")
	all := append([]pinfo{keeper, hp}, victims...)
	for _, p := range all {
		signalVerified(p, syscall.SIGKILL)
	}
	for _, p := range all {
		if err := t.waitFor(5*time.Second, fmt.Sprintf("pid %d to die", p.pid), func() bool { return !aliveAs(p) }); err != nil {
			return err
		}
	}
	return nil
}

// damages are what tryResurrectDamaged does to a daemon's files, one
// daemon each: a record that is garbage, empty or a FIFO, a definition
// cut short.
var damages = []struct {
	name, file string
	do         func(path string) error
}{
	{"garbage", "status.json", func(p string) error { return os.WriteFile(p, []byte("garbage\n"), 0o600) }},
	{"empty", "status.json", func(p string) error { return os.WriteFile(p, nil, 0o600) }},
	{"fifo", "status.json", func(p string) error { os.Remove(p); return syscall.Mkfifo(p, 0o600) }},
	{"cut", "definition.json", func(p string) error { return os.WriteFile(p, []byte(`{"name":`), 0o600) }},
}

// tryResurrectDamaged (25.4): after a reboot, one daemon's files intact
// and four damaged (see damages): `tend resurrect` exits 1 within 10 s,
// names each damaged daemon on a line of its own saying what is wrong
// with which file, starts the intact one and none of the others.
func tryResurrectDamaged(t *T) error {
	names := []string{t.name("-intact")}
	for _, d := range damages {
		names = append(names, t.name("-"+d.name))
	}
	if err := t.startAndReboot(names); err != nil {
		return err
	}
	for i, d := range damages {
		if err := d.do(filepath.Join(daemonFolder(t.e.home, names[i+1]), d.file)); err != nil {
			return err
		}
	}
	r := t.tendO(opts{timeout: 20 * time.Second}, "resurrect")
	var p problems
	if r.code != 1 || r.took > 10*time.Second {
		p.add("%v; expected exit 1 within 10 s", r)
	}
	lines := strings.Split(r.out+r.err, "\n")
	for i, d := range damages {
		name := names[i+1]
		named := slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, name+": ") && strings.Contains(l, filepath.Join(name, d.file))
		})
		if !named {
			t.count("damaged daemons not named", 1)
			p.add("resurrect does not name %s and its damaged %s: %v", name, d.file, r)
		}
		if copies := sleeping(t.arg(i + 1)); len(copies) > 0 {
			p.add("%s, whose %s is damaged (%s), was started: %v", name, d.file, d.name, copies)
		}
	}
	if s, _, err := t.status(names[0]); err != nil || s.State != "running" || !slices.Equal(sleeping(t.arg(0)), []int{s.PID}) {
		p.add("the intact daemon after resurrect: %+v, %v; copies %v", s, err, sleeping(t.arg(0)))
	}
	return p.err()
}

// startAndReboot starts a sleeping daemon of each name, then reboots as
// the campaign can (kill -9 of the keeper, the host and the daemons).
func (t *T) startAndReboot(names []string) error {
	var victims []pinfo
	for k, name := range names {
		s, err := t.startSleep(name, k)
		if err != nil {
			return err
		}
		p, err := t.ours(s.PID)
		if err != nil {
			return err
		}
		victims = append(victims, p)
	}
	return t.reboot(victims...)
}
