package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// tryForeignFolder (25.1): while root's TEND_HOME is world-writable, user
// nobody plants victim/ (a status record naming one of root's processes,
// by its real pid and start time) and planted/ (a definition of its own).
// After chmod go-w, root's `tend stop victim` must not kill root's
// process, `tend resurrect` must not run nobody's command, and `tend
// list` must name both folders.
func tryForeignFolder(t *T) error {
	base, err := t.folder("foreign")
	if err != nil {
		return err
	}
	home := filepath.Join(base, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	t.e.useHome(home)
	o := opts{home: home}
	if err := os.Chmod(base, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(home, 0o777); err != nil {
		return err
	}
	victim := exec.Command("sleep", t.arg(0))
	victim.Env = t.e.base
	if err := victim.Start(); err != nil {
		return err
	}
	go victim.Wait()
	defer t.kill(victim.Process.Pid, syscall.SIGKILL)
	p, err := readStat(victim.Process.Pid)
	if err != nil {
		return err
	}
	pwned := filepath.Join(base, "pwned")
	rec, _ := json.Marshal(map[string]any{"name": "victim", "command": []string{"sleep"}, "state": "running", "want_up": true,
		"pid": p.pid, "start_time": p.start, "supervisor": map[string]any{"pid": 1, "start_time": 1}})
	def, _ := json.Marshal(map[string]any{"name": "planted", "command": []string{"/bin/sh", "-c", "id -u > " + pwned}, "dir": "/"})
	dead, _ := json.Marshal(map[string]any{"name": "planted", "command": []string{"/bin/sh"}, "state": "running", "want_up": true,
		"supervisor": map[string]any{"pid": 1, "start_time": 1}})
	plant := exec.Command("/bin/sh", "-c", `set -e; cd "$H"; umask 077; mkdir victim planted
printf '%s' "$REC" > victim/status.json; printf '%s' "$DEF" > planted/definition.json; printf '%s' "$DEAD" > planted/status.json`)
	plant.Env = append(t.e.base, "H="+home, "REC="+string(rec), "DEF="+string(def), "DEAD="+string(dead))
	plant.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := plant.CombinedOutput(); err != nil {
		return fmt.Errorf("planting as nobody: %v: %s", err, out)
	}
	if err := os.Chmod(home, 0o755); err != nil {
		return err
	}
	var pr problems
	if r := t.tendO(o, "stop", "victim"); r.code == 0 {
		pr.add("stop of a folder nobody planted: %v; expected a refusal", r)
	}
	if r := t.tendO(o, "resurrect"); r.code == 0 || !strings.Contains(r.err, "planted") {
		pr.add("resurrect beside a planted folder: %v; expected exit 1 naming it", r)
	}
	if r := t.tendO(o, "list"); !strings.Contains(r.err, "victim") || !strings.Contains(r.err, "planted") {
		pr.add("list: %v; expected both planted folders named on stderr", r)
	}
	if q, err := readStat(p.pid); err != nil || q.start != p.start {
		pr.add("root's process %d was killed on the word of a planted record", p.pid)
	}
	if exists(pwned) {
		pr.add("the planted definition ran: %s exists", pwned)
	}
	return pr.err()
}
