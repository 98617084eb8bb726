package systemd

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/definition"
)

func TestUnitName(t *testing.T) {
	for _, tc := range []struct{ daemon, want string }{
		{"web", "web"},
		{"web-api", "web-api"}, // kept: see UnitName
		{"a:b_c.d", "a:b_c.d"},
		{"web+api", `web\x2bapi`},
		{"e@f", `e\x40f`},
		{"e@", `e\x40`}, // would be a template
		{".x", `\x2ex`},
		{"-x", `\x2dx`},
		{"a/b c\\", `a\x2fb\x20c\x5c`},
		{strings.Repeat("+", 61), strings.Repeat(`\x2b`, 61)}, // 244 + ".service" = 252
	} {
		got, err := UnitName(tc.daemon)
		if err != nil || got != tc.want {
			t.Errorf("UnitName(%q) = %q, %v; want %q", tc.daemon, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", strings.Repeat("@", 62)} {
		if got, err := UnitName(bad); err == nil {
			t.Errorf("UnitName(%q) = %q; want an error", bad, got)
		}
	}
	if _, err := UnitName(strings.Repeat("@", 62)); err == nil || !strings.Contains(err.Error(), "at most 255") {
		t.Errorf("long name: %v", err)
	}
}

// TestUnitNameAsSystemdEscape compares UnitName with systemd-escape, when
// it is installed, for names without '-' (which UnitName keeps).
func TestUnitNameAsSystemdEscape(t *testing.T) {
	escape, err := exec.LookPath("systemd-escape")
	if err != nil {
		t.Skip("systemd-escape is not installed")
	}
	names := []string{"web", "web+api", "e@f", "a:b_c.d", "x.y@z+1", "A1"}
	out, err := exec.Command(escape, names...).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))
	for i, n := range names {
		if got, _ := UnitName(n); got != want[i] {
			t.Errorf("UnitName(%q) = %q, systemd-escape says %q", n, got, want[i])
		}
	}
}

// TestUnitNamesAgree: the file names and every reference between the
// units use the same escaped name (before, a daemon web+api@eu got
// Requires=web+api@eu.socket, which systemd rejects).
func TestUnitNamesAgree(t *testing.T) {
	u := render(t, definitions()["oddname"])
	if u.Name != `web\x2bapi\x40eu-1` || u.ServiceUnit() != u.Name+".service" || u.SocketUnit() != u.Name+".socket" {
		t.Fatalf("names %q %q %q", u.Name, u.ServiceUnit(), u.SocketUnit())
	}
	svc, sock := parseUnit(t, u.Service), parseUnit(t, u.Socket)
	for _, k := range []string{"Unit/Requires", "Unit/After"} {
		if got := svc[k]; len(got) != 1 || got[0] != u.SocketUnit() {
			t.Errorf("%s = %q, want %q", k, got, u.SocketUnit())
		}
	}
	if got := sock["Socket/Service"]; len(got) != 1 || got[0] != u.ServiceUnit() {
		t.Errorf("Service = %q, want %q", got, u.ServiceUnit())
	}
	if got := svc["Unit/Description"]; len(got) != 1 || got[0] != "web+api@eu-1 (exported by tend)" {
		t.Errorf("Description = %q", got)
	}
	if plain := render(t, definitions()["plain"]); plain.SocketUnit() != "" {
		t.Errorf("SocketUnit() without a socket = %q", plain.SocketUnit())
	}
}

// TestRenderSockets: what systemd would refuse in ListenStream= is
// rewritten (with a note) or refused with what to give instead.
func TestRenderSockets(t *testing.T) {
	u := render(t, definitions()["oddname"])
	sock := parseUnit(t, u.Socket)
	want := "127.0.0.1:8080 8081 8082 [::1]:8083 10.0.0.1:8084"
	if got := strings.Join(sock["Socket/ListenStream"], " "); got != want {
		t.Errorf("ListenStream = %q, want %q", got, want)
	}
	if !strings.Contains(u.Socket, "# tend binds localhost:8080 by name; systemd takes addresses only: 127.0.0.1") {
		t.Errorf("no note for localhost:\n%s", u.Socket)
	}
	for _, tc := range []struct{ listen, want string }{
		{"tcp://example.com:80", `"example.com" is a host name that systemd does not resolve: give an address such as 127.0.0.1 or [::1], or only the port (tcp://:80)`},
		{"tcp://127.0.0.1:0", "port 0 asks for any free port, which a .socket unit cannot do: give a fixed port"},
		{"tcp://127.0.0.1:http", `takes the port as a number from 1 to 65535, not "http"`},
		{"tcp://[fe80::1%eth0]:80", `give the address without its zone "eth0"`},
		{"unix:///run/" + strings.Repeat("s", 100) + ".sock", "a unix socket path is at most 107 bytes"},
	} {
		def := &definition.Definition{Name: "web", Command: []string{"/bin/true"}, Listen: []string{tc.listen}}
		if err := def.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.listen, err)
		}
		if _, err := Render(def, def.Command); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--listen %s: %v\nwant %q", tc.listen, err, tc.want)
		}
	}
}

// TestRenderRefuses: values that a unit file cannot hold, or that systemd
// would read otherwise or ignore, are errors naming the option.
func TestRenderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*definition.Definition)
		want string
	}{
		{"newline in dir", func(d *definition.Definition) { d.Dir = "/srv/a\nExecStartPre=/bin/false" }, `--dir "/srv/a\nExecStartPre=/bin/false": a unit file cannot hold control characters`},
		{"backslash ends dir", func(d *definition.Definition) { d.Dir = `/srv/a\` }, "a trailing backslash would continue the line"},
		{"blank ends dir", func(d *definition.Definition) { d.Dir = "/srv/a " }, "systemd strips blanks at either end"},
		{"newline in user", func(d *definition.Definition) { d.User = "a\nb" }, `--user "a\nb"`},
		{"newline in env file", func(d *definition.Definition) { d.EnvFiles = []string{"/etc/a\n.env"} }, `--env-file "/etc/a\n.env"`},
		{"env name", func(d *definition.Definition) { d.Env = []string{"A-B=1"} }, `--env "A-B=1": systemd takes only variable names of letters, digits and '_'`},
		{"env not UTF-8", func(d *definition.Definition) { d.Env = []string{"A=caf\xe9"} }, "systemd takes only UTF-8 values"},
		{"NUL in command", func(d *definition.Definition) { d.Command = []string{"/bin/echo", "a\x00"} }, "argument 2 of the command contains a NUL byte"},
		{"long name", func(d *definition.Definition) { d.Name = strings.Repeat("@", 62) }, "systemd takes at most 255"},
	} {
		def := &definition.Definition{Name: "web", Command: []string{"/bin/true"}}
		tc.edit(def)
		if _, err := Render(def, def.Command); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant %q", tc.name, err, tc.want)
		}
	}
}

// TestOneLinePerSetting: what the user wrote never starts a line of its
// own (before, --ready file:PATH with a newline in PATH added an
// ExecStartPre= of the user's choosing), and every setting reads back as
// the definition says.
func TestOneLinePerSetting(t *testing.T) {
	def := definitions()["oddname"]
	u := render(t, def)
	for _, text := range []string{u.Service, u.Socket} {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "ExecStartPre") || strings.HasSuffix(line, `\`) {
				t.Errorf("line %q", line)
			}
		}
	}
	svc := parseUnit(t, u.Service)
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
	if got := svc["Service/WorkingDirectory"]; len(got) != 1 || got[0] != def.Dir {
		t.Errorf("WorkingDirectory = %q", got)
	}
	if !strings.Contains(u.Service, `# tend waits for --ready file:/tmp/re"ady; systemd has no such check`) {
		t.Errorf("the --ready note is not quoted:\n%s", u.Service)
	}
	if !strings.Contains(u.Service, `(journalctl -u 'web\x2bapi\x40eu-1')`) {
		t.Errorf("the journal note does not name the unit:\n%s", u.Service)
	}
}

func TestWithAfter(t *testing.T) {
	u := render(t, definitions()["plain"])
	same, err := u.WithAfter(nil)
	if err != nil || same != u {
		t.Fatalf("WithAfter(nil) changed the units: %v", err)
	}
	got, err := u.WithAfter([]string{"db", "cache+1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[Unit]\nAfter=db.service cache\\x2b1.service\nRequires=db.service cache\\x2b1.service\nDescription="; !strings.Contains(got.Service, want) {
		t.Errorf("WithAfter:\n%s\nwant it to contain %q", got.Service, want)
	}
	if _, err := u.WithAfter([]string{""}); err == nil {
		t.Error("WithAfter accepted an empty name")
	}
}
