package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/state"
)

func startupCommand() *command {
	return &command{
		name:    "startup",
		usage:   "[--install | --remove] [--systemd | --cron]",
		summary: "print (or install) what runs tend resurrect at boot",
		help: `Print what makes the machine run tend resurrect at boot, for this user
and state directory: a systemd unit where systemd runs (a system unit for
root; a user unit otherwise, which needs lingering: loginctl
enable-linger USER), else a crontab @reboot line. --install installs it
(writes and enables the unit, or adds the line to the user's crontab),
--remove undoes that. --systemd or --cron chooses instead of detecting.

The unit runs tend resurrect at start and tend stop --all at stop, with
Delegate=yes so that the daemons' supervisors may make their cgroups.`,
		flags: func() *flagSet {
			var o startupOpts
			return startupFlags(&o)
		},
		run: runStartup,
	}
}

// resurrectUnit is the name of tend startup's systemd unit.
const resurrectUnit = "tend-resurrect.service"

type startupOpts struct{ install, remove, systemd, cron bool }

func startupFlags(o *startupOpts) *flagSet {
	fs := newFlagSet("startup")
	fs.boolean(&o.install, "install", 0, "install it: write and enable the unit, or add the line to the crontab")
	fs.boolean(&o.remove, "remove", 0, "undo --install")
	fs.boolean(&o.systemd, "systemd", 0, "a systemd unit, whatever runs here")
	fs.boolean(&o.cron, "cron", 0, "a crontab @reboot line, whatever runs here")
	return fs
}

func runStartup(args []string) int {
	var o startupOpts
	p, code, done := parseArgs(startupCommand(), startupFlags(&o), args)
	if done {
		return code
	}
	if len(p.args) != 0 || o.install && o.remove || o.systemd && o.cron {
		return fail(usageErr("startup", "usage: tend startup [--install | --remove] [--systemd | --cron]"))
	}
	install, remove, useSystemd, useCron := &o.install, &o.remove, &o.systemd, &o.cron
	self, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	home, err := state.Home()
	if err != nil {
		return fail(err)
	}
	systemd := *useSystemd || !*useCron && isDir("/run/systemd/system")
	user := os.Geteuid() != 0
	switch {
	case systemd && *install:
		return startupDone(installUnit(self, home, user))
	case systemd && *remove:
		return startupDone(removeUnit(user))
	case systemd:
		fmt.Printf("# %s: %s\n%s", unitPath(user), "install with: tend startup --install", unitText(self, home, user))
		if user {
			fmt.Printf("# It runs only while you are logged in, unless: loginctl enable-linger %s\n", os.Getenv("USER"))
		}
	case *install:
		return startupDone(editCrontab(cronLine(self, home), true))
	case *remove:
		return startupDone(editCrontab(cronLine(self, home), false))
	default:
		fmt.Printf("# crontab -e (or: tend startup --install) and add:\n%s\n", cronLine(self, home))
	}
	return exitOK
}

func startupDone(err error) int {
	if err != nil {
		return fail(err)
	}
	return exitOK
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// unitPath is where the unit goes: a system unit for root, a user unit
// otherwise.
func unitPath(user bool) string {
	if !user {
		return filepath.Join("/etc/systemd/system", resurrectUnit)
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		dir = filepath.Join(os.Getenv("HOME"), ".config")
	}
	return filepath.Join(dir, "systemd", "user", resurrectUnit)
}

func unitText(self, home string, user bool) string {
	target := "multi-user.target"
	if user {
		target = "default.target"
	}
	return fmt.Sprintf(`[Unit]
Description=tend: bring back the daemons that were up
After=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=TEND_HOME=%s
ExecStart=%s resurrect
ExecStop=%s stop --all
Delegate=yes

[Install]
WantedBy=%s
`, systemdValue(home), systemdValue(self), systemdValue(self), target)
}

// systemdValue quotes a path for a unit file when it needs it.
func systemdValue(s string) string {
	if strings.ContainsAny(s, " \t\"'\\%") {
		return fmt.Sprintf("%q", strings.ReplaceAll(s, "%", "%%"))
	}
	return s
}

func systemctl(user bool, args ...string) error {
	if user {
		args = append([]string{"--user"}, args...)
	}
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func installUnit(self, home string, user bool) error {
	path := unitPath(user)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(unitText(self, home, user)), 0o644); err != nil {
		return err
	}
	if err := systemctl(user, "daemon-reload"); err != nil {
		return err
	}
	if err := systemctl(user, "enable", resurrectUnit); err != nil {
		return err
	}
	fmt.Printf("installed %s: tend resurrect runs at boot\n", path)
	if user {
		if out, err := exec.Command("loginctl", "enable-linger", os.Getenv("USER")).CombinedOutput(); err != nil {
			fmt.Printf("to run it without a login: loginctl enable-linger %s (%s)\n", os.Getenv("USER"), bytes.TrimSpace(out))
		}
	}
	return nil
}

func removeUnit(user bool) error {
	path := unitPath(user)
	systemctl(user, "disable", resurrectUnit)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := systemctl(user, "daemon-reload"); err != nil {
		return err
	}
	fmt.Printf("removed %s\n", path)
	return nil
}

func cronLine(self, home string) string {
	return fmt.Sprintf("@reboot TEND_HOME=%s %s resurrect >/dev/null 2>&1", shellWord(home), shellWord(self))
}

// editCrontab adds line to the user's crontab, or removes it.
func editCrontab(line string, add bool) error {
	if _, err := exec.LookPath("crontab"); err != nil {
		return errors.New("no crontab here: install cron, or run tend resurrect at boot some other way")
	}
	cur, _ := exec.Command("crontab", "-l").Output() // none yet: empty
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(string(cur), "\n"), "\n") {
		if l != "" && l != line {
			keep = append(keep, l)
		}
	}
	if add {
		keep = append(keep, line)
	}
	cmd := exec.Command("crontab", "-")
	cmd.Stdin = strings.NewReader(strings.Join(keep, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("crontab: %v: %s", err, bytes.TrimSpace(out))
	}
	if add {
		fmt.Println("added to your crontab: " + line)
	} else {
		fmt.Println("removed from your crontab: " + line)
	}
	return nil
}
