package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// every sets every key a daemon table accepts.
const every = `
[db]
command = "db-server"

[web]
command = ["./server", "--port", "8080"]
after = ["db"]
dir = "srv"
env = { PORT = 8080, DEBUG = true, NAME = "x" }
env_file = ["a.env", "/etc/b.env"]
clear_env = true
user = "nobody"
group = "nogroup"
umask = "027"
restart = "always"
backoff = "1s"
backoff_max = "1m"
backoff_reset = "30s"
start_limit = 7
start_limit_interval = "20s"
stop_signal = "INT"
stop_schedule = "TERM/5/KILL/5"
pidfile = "run/web.pid"
instances = 3
reload_signal = "HUP"
limits = ["nofile=4096", "core=0"]
memory_max = "512M"
cpu_max = "50%"
pids_max = 64
critical = true
log = "logs/web.log"
log_max_size = 1048576
log_max_files = 3
log_compress = true
no_timestamps = true
ready = "tcp:127.0.0.1:8080"
ready_timeout = "15s"
watchdog = "30s"
health = "http://127.0.0.1:8080/health"
health_interval = "5s"
health_threshold = 4
listen = ["tcp://127.0.0.1:8080", "unix:///run/web.sock"]
socket_mode = "0660"
socket_user = "www-data"
socket_group = "www-data"
tty = true
isolated = true
on_exit = "echo exited"
on_failure = "echo failed"
hook_timeout = "10s"
watch = ["*.py", "templates/**"]
watch_ignore = "tests/**"
watch_debounce = "500ms"

# The options of tasks, which exclude a service's (readiness, sockets...).
[job]
command = "./job"
after = { web = "healthy" }
oneshot = true
schedule = "*/5 * * * *"
timezone = "UTC"
run_on_start = true

[ticker]
command = "./tick"
every = "30s"
`

// TestEveryFieldMapped fails when definition.Definition gains a field that
// tend.toml cannot set: add it to daemonTOML and definition().
func TestEveryFieldMapped(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(write(t, dir, "tend.toml", every))
	if err != nil {
		t.Fatal(err)
	}
	web := f.Daemon("web")
	v := reflect.ValueOf(web.Definition)
	tasks := []reflect.Value{reflect.ValueOf(f.Daemon("job").Definition), reflect.ValueOf(f.Daemon("ticker").Definition)}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		switch name {
		case "BaseEnv": // the caller's environment, not the file's
			continue
		case "Project", "Source", "EnvDigest": // tend up's marks, not options
			continue
		}
		if v.Field(i).IsZero() && tasks[0].Field(i).IsZero() && tasks[1].Field(i).IsZero() {
			t.Errorf("Definition.%s is not set by any key of tend.toml", name)
		}
	}
	d := web.Definition
	if want := []string{filepath.Join(dir, "server"), "--port", "8080"}; !slices.Equal(d.Command, want) {
		t.Errorf("command %q, want %q", d.Command, want)
	}
	if d.Dir != filepath.Join(dir, "srv") || d.Log != filepath.Join(dir, "logs/web.log") {
		t.Errorf("dir %q log %q: want them relative to the file", d.Dir, d.Log)
	}
	if want := []string{filepath.Join(dir, "a.env"), "/etc/b.env"}; !slices.Equal(d.EnvFiles, want) {
		t.Errorf("env files %q, want %q", d.EnvFiles, want)
	}
	if want := []string{"DEBUG=true", "NAME=x", "PORT=8080"}; !slices.Equal(d.Env, want) {
		t.Errorf("env %q, want %q", d.Env, want)
	}
	if d.BackoffMax != time.Minute || d.StartLimitBurst != 7 || d.Umask != "027" || d.ReadyTimeout != 15*time.Second {
		t.Errorf("definition: %+v", d)
	}
	if db := f.Daemon("db").Definition; db.Dir != dir || !slices.Equal(db.Command, []string{"db-server"}) {
		t.Errorf("db: dir %q command %q", db.Dir, db.Command)
	}
}

func TestEnvList(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(write(t, dir, "tend.toml", "[a]\ncommand = \"x\"\nenv = [\"A=1\", \"B=two=2\"]\nenv_file = \"e\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Daemon("a").Definition
	if !slices.Equal(d.Env, []string{"A=1", "B=two=2"}) || !slices.Equal(d.EnvFiles, []string{filepath.Join(dir, "e")}) {
		t.Errorf("env %q env files %q", d.Env, d.EnvFiles)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[web]\ncommand = \"x\"\nrestrat = \"always\"\n", "tend.toml:3: web.restrat: unknown key; did you mean restart?"},
		{"[web]\ncommand = \"x\"\nrestart = 3\n", "tend.toml:3: web.restart: want a string, not 3"},
		{"[web]\ncommand = \"x\"\nlog_compress = \"yes\"\n", `tend.toml:3: web.log_compress: want true or false, not "yes"`},
		{"[web]\ncommand = \"x\"\nbackoff = true\n", `tend.toml:3: web.backoff: want a duration such as "10s", "1m30s" or 10 (seconds), not true`},
		{"[web]\ncommand = \"x\"\n\nbackoff_max = \"5 s\"\n", `tend.toml:4: web.backoff_max: "5 s" is not a duration: want seconds (10, 2.5) or a number with a unit, such as 500ms, 10s or 1m30s`},
		{"[web]\ncommand = \"x\"\nbackoff = -5\n", `tend.toml:3: web.backoff: want a duration such as "10s", "1m30s" or 10 (seconds), not -5`},
		{"[web]\ncommand = \"x\"\nstop_schedule = \"\"\n", `tend.toml:3: web.stop_schedule: empty value: give SCHEDULE, or leave the option out for the default (TERM/10/KILL/5)`},
		{"[web]\ncommand = \"x\"\nbackof = \"1s\"\n", "tend.toml:3: web.backof: unknown key; did you mean backoff?"},
		{"[web]\ncommand = \"x\"\numask = \"99\"\n", `tend.toml:3: web.umask: "99" is not an octal mode such as 022`},
		{"[web]\ncommand = \"x\"\nenv = 3\n", `tend.toml:3: web.env: want a table, as in { PORT = "8080" }, or an array of "KEY=VALUE" strings, not 3`},
		{"[web]\ncommand = \"x\"\nenv = [\"A\"]\n", `tend.toml:3: web.env: "A": want KEY=VALUE`},
		{"[web]\ncommand = 'a \"b'\n", `tend.toml:2: web.command: unterminated " quote`},
		{"[web]\ncommand = []\n", `tend.toml:2: web.command: want a string, or an array of strings with the program first`},
		{"\n[web]\ndir = \"/\"\n", `tend.toml:2: web: no command: give command = "..." or ["prog", "arg"...]`},
		{"web = \"x\"\n", `tend.toml:1: web: want a table, as in [name], for each daemon, not "x"`},
		{"[web]\ncommand = \"x\n", `tend.toml:2: basic strings cannot have new lines`},
		{"[\".x\"]\ncommand = \"x\"\n", `tend.toml:1: .x: invalid daemon name ".x": it starts with '.'; names are 1-64 characters from A-Z a-z 0-9 . _ @ : + - and may not start with '.' or '-' or contain ".."`},
		{"[a]\ncommand = \"x\"\nafter = [\"b\"]\n[b]\ncommand = \"x\"\nafter = [\"c\"]\n[c]\ncommand = \"x\"\nafter = [\"a\"]\n",
			"tend.toml:1: a.after: dependency cycle: a -> b -> c -> a"},
		{"[a]\ncommand = \"x\"\nafter = [\"a\"]\n", "tend.toml:1: a.after: dependency cycle: a -> a"},
		{"[a]\ncommand = \"x\"\n[b]\ncommand = \"x\"\nafter = [\"a\", \"nope\"]\n", `tend.toml:3: b.after: unknown daemon "nope"`},
	} {
		dir := t.TempDir()
		old, _ := os.Getwd()
		if err := os.Chdir(dir); err != nil {
			t.Fatal(err)
		}
		write(t, dir, "tend.toml", tc.text)
		_, err := Load("tend.toml")
		os.Chdir(old)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.text, err, tc.want)
		}
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(write(t, dir, "x.toml", "[a]\ncommand = \"x\"\nfoo = 1\n[b]\ncommand = \"y\"\nbar = 2\n"))
	if err == nil || !strings.Contains(err.Error(), "x.toml:3: a.foo: unknown key") || !strings.Contains(err.Error(), "x.toml:6: b.bar: unknown key") {
		t.Errorf("got %v", err)
	}
}

func TestOrder(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(write(t, dir, "tend.toml", `
[web]
command = "w"
after = ["api", "cache"]
[api]
command = "a"
after = ["db"]
[db]
command = "d"
[cache]
command = "c"
[lone]
command = "l"
`))
	if err != nil {
		t.Fatal(err)
	}
	names := func(ds []*Daemon) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Name)
		}
		return out
	}
	all, _ := f.Order(nil)
	if got := names(all); !slices.Equal(got, []string{"db", "api", "cache", "web", "lone"}) {
		t.Errorf("order %v", got)
	}
	some, _ := f.Order([]string{"api"})
	if got := names(some); !slices.Equal(got, []string{"db", "api"}) {
		t.Errorf("order of api %v", got)
	}
	if got := f.Dependents("db"); !slices.Equal(got, []string{"api", "web"}) {
		t.Errorf("dependents of db %v", got)
	}
	if _, err := f.Order([]string{"nope"}); err == nil {
		t.Error("unknown name accepted")
	}
}

func TestProcfile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".env", "GREETING=hello\n")
	f, err := Load(write(t, dir, "Procfile", "# comment\n\nweb: ./server -p $PORT\nworker: worker --queue 'a b'\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	web, worker := f.Daemon("web").Definition, f.Daemon("worker").Definition
	if !slices.Equal(web.Command, []string{"/bin/sh", "-c", "exec ./server -p $PORT"}) {
		t.Errorf("web command %q", web.Command)
	}
	if !slices.Equal(worker.Command, []string{"worker", "--queue", "a b"}) {
		t.Errorf("worker command %q", worker.Command)
	}
	for _, d := range []any{web.EnvFiles, worker.EnvFiles} {
		if !reflect.DeepEqual(d, []string{filepath.Join(dir, ".env")}) {
			t.Errorf("env files %q", d)
		}
	}
	if web.Dir != dir || f.Daemon("web").Line != 3 {
		t.Errorf("dir %q line %d", web.Dir, f.Daemon("web").Line)
	}
	for _, tc := range []struct{ text, want string }{
		{"web: a\nweb: b\n", "Procfile:2: web: defined twice (first on line 1)"},
		{"web a\n", "Procfile:1: want a line of the form name: command"},
		{"web:\n", "Procfile:1: web: no command"},
	} {
		write(t, dir, "Procfile", tc.text)
		if _, err := ParseProcfile([]byte(tc.text), "Procfile", dir); err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.text, err, tc.want)
		}
	}
	write(t, dir, ".env", "BAD LINE\n")
	if _, err := ParseProcfile([]byte("web: x\n"), "Procfile", dir); err == nil || !strings.Contains(err.Error(), ".env:1:") {
		t.Errorf("bad .env: %v", err)
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"sleep 10", []string{"sleep", "10"}},
		{"  a\t b  ", []string{"a", "b"}},
		{`grep 'a|b' "c d" e\ f`, []string{"grep", "a|b", "c d", "e f"}},
		{`echo "say \"hi\"" ''`, []string{"echo", `say "hi"`, ""}},
		{`a=b`, []string{"/bin/sh", "-c", "a=b"}},
		{`prog --opt=x`, []string{"prog", "--opt=x"}},
		{`echo $HOME`, []string{"/bin/sh", "-c", "exec echo $HOME"}},
		{`echo "$HOME"`, []string{"/bin/sh", "-c", `exec echo "$HOME"`}},
		{`echo '$HOME'`, []string{"echo", "$HOME"}},
		{`a | b`, []string{"/bin/sh", "-c", "a | b"}},
		{`a && b`, []string{"/bin/sh", "-c", "a && b"}},
		{`a > log`, []string{"/bin/sh", "-c", "exec a > log"}},
		{`a >log 2>&1`, []string{"/bin/sh", "-c", "exec a >log 2>&1"}},
		{`a $(b c) "$(d)"`, []string{"/bin/sh", "-c", `exec a $(b c) "$(d)"`}},
		{`a &`, []string{"/bin/sh", "-c", "a &"}},
		{`a; b`, []string{"/bin/sh", "-c", "a; b"}},
		{`(a)`, []string{"/bin/sh", "-c", "(a)"}},
		{`cd /x && a`, []string{"/bin/sh", "-c", "cd /x && a"}},
		{`export X=$Y`, []string{"/bin/sh", "-c", "export X=$Y"}},
		{`A=1 B="x y" server $P`, []string{"/bin/sh", "-c", `A=1 B="x y" exec server $P`}},
		{`ls *.go`, []string{"/bin/sh", "-c", "exec ls *.go"}},
		{`ls ~/x`, []string{"/bin/sh", "-c", "exec ls ~/x"}},
		{`a a~b`, []string{"a", "a~b"}},
		{`run # note`, []string{"/bin/sh", "-c", "exec run # note"}},
		{`a#b`, []string{"a#b"}},
		{`exec server`, []string{"/bin/sh", "-c", "exec server"}},
		{`PORT=1 server`, []string{"/bin/sh", "-c", "PORT=1 exec server"}},
	} {
		got, err := SplitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`a 'b`, `a "b`, ``, `   `} {
		if got, err := SplitCommand(in); err == nil {
			t.Errorf("SplitCommand(%q) = %q, want an error", in, got)
		}
	}
}
