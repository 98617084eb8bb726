package systemd

import (
	"bufio"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// definitions are the cases of the golden and validity tests.
func definitions() map[string]*definition.Definition {
	return map[string]*definition.Definition{
		"plain": {
			Name: "plain", Command: []string{"/bin/sleep", "1000"}, Restart: "on-failure",
			BaseEnv: []string{"PATH=/usr/bin:/bin", "HOME=/root"},
		},
		"full": {
			Name:    "full",
			Command: []string{"/bin/sh", "-c", `echo "$HOME" 50% ; done`, "", ";", "tab\there"},
			Dir:     "/srv/web dir", ClearEnv: true,
			EnvFiles: []string{"/etc/web.env"},
			Env:      []string{"GREETING=hello world", `QUOTE="q" \ back`, "PCT=100%", "DOLLAR=$HOME"},
			User:     "nobody", Group: "nogroup", Umask: "027",
			Restart: "always", BackoffInitial: 250 * time.Millisecond, BackoffMax: time.Minute,
			StartLimitBurst: 3, StartLimitInterval: 30 * time.Second,
			StopSchedule: "INT/20/KILL/5",
			Ready:        "notify", Watchdog: 30 * time.Second,
			Health:     "http://127.0.0.1:8080/health",
			Listen:     []string{"tcp://127.0.0.1:8080", "unix:///run/full.sock"},
			SocketMode: "660", SocketUser: "www-data", SocketGroup: "www-data",
		},
		"oddschedule": {
			Name: "oddschedule", Command: []string{"/bin/true"}, Restart: "never", ClearEnv: true,
			StopSchedule: "HUP/1/TERM/2/KILL/3", StartLimitBurst: -1, Ready: "tcp:127.0.0.1:9000",
		},
		// A program that daemonizes itself, such as pinglog: Type=forking,
		// and TEND_FOREGROUND=0 for a program built on tend's library.
		"forking": {
			Name: "forking", Command: []string{"/usr/local/bin/pinglog", "-pidfile", "/run/pinglog.pid"},
			PIDFile: "/run/pinglog.pid", ClearEnv: true, Env: []string{"TARGET=127.0.0.1"},
		},
		// A name that systemd takes only escaped, sockets that it takes
		// only rewritten, and values that must not break a line.
		"oddname": {
			Name:    "web+api@eu-1",
			Command: []string{"/usr/bin/printf", "caf\xe9 \x01\n", "50%", "a\\"},
			Dir:     "/srv/100% web", ClearEnv: true, LogMaxFiles: 3,
			Env:    []string{"CTRL=a\x1bb", "MULTI=one\ntwo", "TRAIL=x\\"},
			Ready:  "file:/tmp/re\"ady",
			Health: "exec:check \\",
			Listen: []string{"tcp://localhost:8080", "tcp://:8081", "tcp://0.0.0.0:8082", "tcp://[::1]:8083", "tcp://10.0.0.1:8084"},
		},
	}
}

func render(t *testing.T, def *definition.Definition) Units {
	t.Helper()
	if err := def.Validate(); err != nil {
		t.Fatalf("%s: %v", def.Name, err)
	}
	u, err := Render(def, def.Command)
	if err != nil {
		t.Fatalf("%s: %v", def.Name, err)
	}
	return u
}

func TestGolden(t *testing.T) {
	for name, def := range definitions() {
		u := render(t, def)
		files := map[string]string{name + ".service": u.Service}
		if u.Socket != "" {
			files[name+".socket"] = u.Socket
		}
		for file, got := range files {
			path := filepath.Join("testdata", file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./systemd -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file:\n%s", file, got)
			}
		}
	}
}

// TestParseBack reads every unit back as systemd would and checks every
// key against the definition. It runs always, systemd or not.
func TestParseBack(t *testing.T) {
	def := definitions()["full"]
	u := render(t, def)
	svc := parseUnit(t, u.Service)
	want := map[string][]string{
		"Unit/Description":           {"full (exported by tend)"},
		"Unit/Requires":              {"full.socket"},
		"Unit/After":                 {"full.socket"},
		"Unit/StartLimitIntervalSec": {"30s"},
		"Unit/StartLimitBurst":       {"3"},
		"Service/Type":               {"notify"},
		"Service/NotifyAccess":       {"all"},
		"Service/WorkingDirectory":   {"/srv/web dir"},
		"Service/EnvironmentFile":    {"/etc/web.env"},
		"Service/User":               {"nobody"},
		"Service/Group":              {"nogroup"},
		"Service/UMask":              {"0027"},
		"Service/Restart":            {"always"},
		"Service/RestartSec":         {"250ms"},
		"Service/KillMode":           {"control-group"},
		"Service/KillSignal":         {"SIGINT"},
		"Service/TimeoutStopSec":     {"20s"},
		"Service/SendSIGKILL":        {"yes"},
		"Service/WatchdogSec":        {"30s"},
		"Install/WantedBy":           {"multi-user.target"},
		"Service/ExecStart":          nil, // checked below
		"Service/Environment":        nil,
	}
	for k, v := range svc {
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected key %s=%q", k, v)
			continue
		}
		if w != nil && strings.Join(w, "|") != strings.Join(v, "|") {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	for k := range want {
		if _, ok := svc[k]; !ok {
			t.Errorf("missing key %s", k)
		}
	}
	if got := splitExec(t, svc["Service/ExecStart"][0]); strings.Join(got, "\x00") != strings.Join(def.Command, "\x00") {
		t.Errorf("ExecStart reads back as %q, want %q", got, def.Command)
	}
	var env []string
	for _, e := range svc["Service/Environment"] {
		env = append(env, splitExec(t, e)...)
	}
	if strings.Join(env, "\x00") != strings.Join(def.Env, "\x00") {
		t.Errorf("Environment reads back as %q, want %q", env, def.Env)
	}
	sock := parseUnit(t, u.Socket)
	if got := strings.Join(sock["Socket/ListenStream"], " "); got != "127.0.0.1:8080 /run/full.sock" {
		t.Errorf("ListenStream = %q", got)
	}
	if got := sock["Socket/FileDescriptorName"]; len(got) != 1 || got[0] != "full" {
		t.Errorf("FileDescriptorName = %q", got)
	}
	for k, want := range map[string]string{"SocketMode": "0660", "SocketUser": "www-data", "SocketGroup": "www-data"} {
		if got := sock["Socket/"+k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestSystemdAnalyzeVerify has systemd itself check the units, when
// systemd-analyze is installed (TestParseBack runs either way).
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; TestParseBack checked the units")
	}
	for name, def := range definitions() {
		def = cloneForVerify(def)
		u := render(t, def)
		dir := t.TempDir()
		files := []string{filepath.Join(dir, u.ServiceUnit())}
		os.WriteFile(files[0], []byte(u.Service), 0o644)
		if u.Socket != "" {
			files = append(files, filepath.Join(dir, u.SocketUnit()))
			os.WriteFile(files[1], []byte(u.Socket), 0o644)
		}
		cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, files...)...)
		out, err := cmd.CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s\n%s", name, err, out, u.Service)
		}
	}
}

// cloneForVerify points what verify checks on this machine (the working
// directory, env files, the program) at things that exist.
func cloneForVerify(def *definition.Definition) *definition.Definition {
	d := *def
	if d.Dir != "" {
		d.Dir = "/tmp"
	}
	d.EnvFiles = nil
	if _, err := os.Stat(d.Command[0]); err != nil {
		d.Command = append([]string{"/bin/true"}, d.Command[1:]...) // verify checks that it is executable
	}
	if d.User != "" {
		d.User, d.Group = "root", "root" // verify warns about nobody
	}
	return &d
}

// parseUnit reads a unit file: "Section/Key" to its values in order.
func parseUnit(t *testing.T, text string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	section := ""
	s := bufio.NewScanner(strings.NewReader(text))
	for s.Scan() {
		line := s.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("bad unit line %q", line)
			}
			if k != "ExecStart" && k != "Environment" {
				v = strings.ReplaceAll(v, "%%", "%")
			}
			keys[section+"/"+k] = append(keys[section+"/"+k], v)
		}
	}
	return keys
}

// splitExec splits a command line or Environment= value as systemd does:
// words, double quotes with C escapes (\n \t \xNN and the escaped
// character itself), %% and $$ unescaped.
func splitExec(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+1 < len(s) && s[i+1] == '%':
			cur.WriteByte('%')
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '$':
			cur.WriteByte('$')
			i++
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'x':
				b, err := strconv.ParseUint(s[i+1:min(i+3, len(s))], 16, 8)
				if err != nil || i+3 > len(s) {
					t.Fatalf("bad \\x escape in %q", s)
				}
				cur.WriteByte(byte(b))
				i += 2
			default:
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '"':
			quoted = !quoted
			inWord = true
		case c == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestRenderInstances: several instances become a template unit, told
// their number; with --listen, the unit says why it runs one.
func TestRenderInstances(t *testing.T) {
	def := &definition.Definition{Name: "w", Command: []string{"/bin/sleep", "9"}, Instances: 3}
	u, err := Render(def, def.Command)
	if err != nil {
		t.Fatal(err)
	}
	if u.ServiceUnit() != "w@.service" || !strings.Contains(u.Service, "\nEnvironment=TEND_INSTANCE=%i\n") ||
		!strings.Contains(u.Service, "enable w@0.service ... w@2.service") || !strings.HasPrefix(u.Service, "# w@.service:") {
		t.Errorf("%s:\n%s", u.ServiceUnit(), u.Service)
	}
	def.Listen = []string{"tcp://127.0.0.1:8080"}
	if u, err = Render(def, def.Command); err != nil || u.ServiceUnit() != "w.service" || !strings.Contains(u.Service, "ReusePort=yes") {
		t.Errorf("with --listen: %v\n%s", err, u.Service)
	}
}

// TestRenderLimits: the limits map to systemd's directives.
func TestRenderLimits(t *testing.T) {
	def := &definition.Definition{Name: "w", Command: []string{"/bin/sleep", "9"},
		Limits: []string{"nofile=1024:4096,core=unlimited"}, MemoryMax: 512 << 20, CPUMax: "50%", PidsMax: 64}
	u, err := Render(def, def.Command)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nLimitNOFILE=1024:4096\n", "\nLimitCORE=infinity:infinity\n", "\nMemoryMax=512M\n", "\nCPUQuota=50%\n", "\nTasksMax=64\n"} {
		if !strings.Contains(u.Service, want) {
			t.Errorf("no %q in\n%s", strings.TrimSpace(want), u.Service)
		}
	}
}

// TestEveryOptionExported: the export follows the option table
// (definition.Options): an option with a systemd mapping shows up as its
// settings, any other one, when set, in the comment that lists what the
// unit does not carry.
func TestEveryOptionExported(t *testing.T) {
	def := &definition.Definition{
		Name: "every", Command: []string{"/bin/sleep", "1000"}, Dir: "/srv", Env: []string{"A=1"},
		EnvFiles: []string{"/etc/a.env"}, ClearEnv: true, User: "nobody", Group: "nogroup", Umask: "027", TTY: true,
		Restart: "always", BackoffInitial: time.Second, BackoffMax: time.Minute, BackoffReset: time.Hour,
		StartLimitBurst: 3, StartLimitInterval: time.Minute, StopSignal: "INT", StopSchedule: "TERM/5/KILL/5",
		PIDFile: "/run/every.pid", Log: "/var/log/every.log", LogMaxSize: 1 << 20, LogMaxFiles: 2, LogCompress: true,
		NoTimestamps: true, Ready: "tcp:127.0.0.1:80", ReadyTimeout: time.Minute, Watchdog: time.Minute,
		Health: "tcp:127.0.0.1:80", HealthInterval: time.Second, HealthThreshold: 2,
		Listen:     []string{"tcp://127.0.0.1:80", "unix:///run/every.sock"},
		SocketMode: "0600", SocketUser: "nobody", SocketGroup: "nogroup",
		Instances: 2, ReloadSignal: "HUP", Limits: []string{"nofile=1024"}, MemoryMax: 1 << 30, CPUMax: "50%",
		PidsMax: 64, Critical: true, Isolated: true,
		OnExit: "echo exited", OnFailure: "echo failed", HookTimeout: time.Minute,
		Watch: []string{"*.py"}, WatchIgnore: []string{"tests/**"}, WatchDebounce: time.Second,
	}
	// The options of tasks exclude a service's (readiness, sockets...):
	// a one-shot, and a schedule, set them.
	oneshot := &definition.Definition{Name: "once", Command: []string{"/bin/true"}, Oneshot: true}
	sched := &definition.Definition{Name: "cron", Command: []string{"/bin/true"}, Cron: "*/5 9-17 * * mon-fri",
		Timezone: "Europe/Paris", RunOnStart: true}
	every := &definition.Definition{Name: "tick", Command: []string{"/bin/true"}, Every: 30 * time.Second}
	var units string
	for _, d := range []*definition.Definition{def, oneshot, sched, every} {
		u := render(t, d)
		units += u.Service + u.Socket + u.Timer + u.OnFailure
	}
	for _, o := range definition.Options() {
		if !o.IsSet(def) && !o.IsSet(oneshot) && !o.IsSet(sched) && !o.IsSet(every) {
			t.Errorf("the test does not set --%s", o.Flag)
			continue
		}
		if o.Systemd == "" {
			if !strings.Contains(units, "--"+o.Flag) {
				t.Errorf("--%s has no systemd setting and the unit does not mention it", o.Flag)
			}
			continue
		}
		for _, w := range strings.Fields(o.Systemd) {
			w = strings.TrimSuffix(w, ",")
			if strings.HasSuffix(w, "=") && !strings.Contains(units, "\n"+w) {
				t.Errorf("--%s maps to %s, which the units do not set:\n%s", o.Flag, w, units)
			}
		}
	}
}

// TestRenderForking: a --pidfile daemon is Type=forking with
// TEND_FOREGROUND=0, so that a program built on tend's daemon library
// detaches under systemd (it stays in the foreground otherwise), unless
// --env sets TEND_FOREGROUND itself; a --ready notify one is Type=notify,
// where the foreground is right.
func TestRenderForking(t *testing.T) {
	def := definitions()["forking"]
	svc := parseUnit(t, render(t, def).Service)
	if got := strings.Join(svc["Service/Type"], "|"); got != "forking" {
		t.Errorf("Type=%s, want forking", got)
	}
	if got := strings.Join(svc["Service/PIDFile"], "|"); got != "/run/pinglog.pid" {
		t.Errorf("PIDFile=%s", got)
	}
	var env []string
	for _, e := range svc["Service/Environment"] {
		env = append(env, splitExec(t, e)...)
	}
	if want := "TEND_FOREGROUND=0\x00TARGET=127.0.0.1"; strings.Join(env, "\x00") != want {
		t.Errorf("Environment reads back as %q, want %q", env, strings.Split(want, "\x00"))
	}

	own := *def
	own.Env = []string{"TEND_FOREGROUND=1"}
	svc = parseUnit(t, render(t, &own).Service)
	if got := svc["Service/Environment"]; len(got) != 1 || got[0] != `"TEND_FOREGROUND=1"` {
		t.Errorf("with --env TEND_FOREGROUND=1: Environment=%q, want only that", got)
	}

	notify := *def
	notify.Ready = "notify"
	u := render(t, &notify)
	if svc = parseUnit(t, u.Service); strings.Join(svc["Service/Type"], "") != "notify" || strings.Contains(u.Service, "TEND_FOREGROUND") {
		t.Errorf("with --ready notify: want Type=notify without TEND_FOREGROUND:\n%s", u.Service)
	}
}

// TestRenderTasks: a one-shot is Type=oneshot and stays active once it
// has completed; a schedule is Type=oneshot with a .timer unit beside it,
// whose calendar events systemd reads as the cron line's times.
func TestRenderTasks(t *testing.T) {
	once := render(t, &definition.Definition{Name: "migrate", Command: []string{"/bin/true"}, Oneshot: true})
	svc := parseUnit(t, once.Service)
	if strings.Join(svc["Service/Type"], "") != "oneshot" || strings.Join(svc["Service/RemainAfterExit"], "") != "yes" || once.Timer != "" {
		t.Errorf("one-shot:\n%s", once.Service)
	}
	for _, c := range []struct {
		def  definition.Definition
		want []string
	}{
		{definition.Definition{Every: 30 * time.Second}, []string{"OnActiveSec=30s", "OnUnitActiveSec=30s"}},
		{definition.Definition{Every: time.Minute, RunOnStart: true}, []string{"OnActiveSec=0", "OnUnitActiveSec=60s"}},
		{definition.Definition{Cron: "*/15 * * * *"}, []string{"OnCalendar=*-*-* *:0,15,30,45:00"}},
		{definition.Definition{Cron: "0 9 * * mon-fri", Timezone: "UTC"}, []string{"OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 9:0:00 UTC"}},
		{definition.Definition{Cron: "0 0 13 * 5"}, []string{"OnCalendar=*-*-13 0:0:00", "OnCalendar=Fri *-*-* 0:0:00"}},
	} {
		d := c.def
		d.Name, d.Command = "job", []string{"/bin/true"}
		u := render(t, &d)
		svc := parseUnit(t, u.Service)
		if strings.Join(svc["Service/Type"], "") != "oneshot" || len(svc["Service/RemainAfterExit"]) > 0 || strings.Contains(u.Service, "WantedBy") {
			t.Errorf("%+v: the service:\n%s", c.def, u.Service)
		}
		for _, w := range c.want {
			if !strings.Contains(u.Timer, "\n"+w+"\n") {
				t.Errorf("%+v: the timer has no %s:\n%s", c.def, w, u.Timer)
			}
		}
		if _, err := exec.LookPath("systemd-analyze"); err == nil {
			for _, line := range strings.Split(u.Timer, "\n") {
				if cal, ok := strings.CutPrefix(line, "OnCalendar="); ok {
					if out, err := exec.Command("systemd-analyze", "calendar", cal).CombinedOutput(); err != nil {
						t.Errorf("systemd-analyze calendar %q: %v\n%s", cal, err, out)
					}
				}
			}
		}
	}
}
