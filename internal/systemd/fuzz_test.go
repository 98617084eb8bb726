package systemd

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tendhq/tend/internal/definition"
)

// validUnitName reports whether s is a unit name systemd takes for a
// plain (not template) unit.
func validUnitName(s string) bool {
	if len(s) > MaxUnitNameLen || s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unitByte(c) && c != '\\' {
			return false
		}
	}
	return true
}

// renderedKeys returns the settings Render writes, by section.
func renderedKeys() map[string]bool {
	return map[string]bool{
		"Unit/Description": true, "Unit/Requires": true, "Unit/After": true,
		"Unit/StartLimitIntervalSec": true, "Unit/StartLimitBurst": true,
		"Service/Type": true, "Service/NotifyAccess": true, "Service/ExecStart": true, "Service/WorkingDirectory": true,
		"Service/Environment": true, "Service/EnvironmentFile": true, "Service/User": true, "Service/Group": true,
		"Service/UMask": true, "Service/Restart": true, "Service/RestartSec": true, "Service/KillMode": true,
		"Service/KillSignal": true, "Service/TimeoutStopSec": true, "Service/SendSIGKILL": true, "Service/WatchdogSec": true,
		"Install/WantedBy":    true,
		"Socket/ListenStream": true, "Socket/FileDescriptorName": true, "Socket/Service": true,
	}
}

// FuzzRender renders definitions made of arbitrary strings and checks
// that each unit is lines of settings Render means to write, each one
// line (no newline or trailing backslash from the user's text can add a
// setting), in UTF-8, with valid unit names that agree with each other,
// and that the command, the environment and the directory read back as
// the definition says.
func FuzzRender(f *testing.F) {
	f.Add("web", "/srv/web", "nobody", "/bin/sh\x1e-c\x1eecho \"$HOME\" 50% ;", "A=1\x1eB=two words", "/etc/web.env", "tcp://127.0.0.1:8080", "notify", "")
	f.Add("w+x@y", "/", "", "/bin/a\x1ecaf\xe9\x01\n", "C=x\x1bq", "", "tcp://localhost:80\x1eunix:///run/a.sock", "file:/a\nExecStartPre=/x", "exec:a \\")
	f.Add("a", "/d\\", "u\n", "/p\x1e\\", "K=\\", "/e\n", "tcp://[::]:1", "tcp:h:1", "http://h:1/\r")
	keys := renderedKeys()
	f.Fuzz(func(t *testing.T, name, dir, user, args, env, envFile, listen, ready, health string) {
		def := &definition.Definition{Name: name, Dir: dir, User: user, Command: strings.Split(args, "\x1e"),
			Ready: ready, Health: health, ClearEnv: true}
		if env != "" {
			def.Env = strings.Split(env, "\x1e")
		}
		if envFile != "" {
			def.EnvFiles = []string{envFile}
		}
		if listen != "" {
			def.Listen = strings.Split(listen, "\x1e")
		}
		if def.Validate() != nil || !strings.HasPrefix(def.Command[0], "/") {
			return
		}
		u, err := Render(def, def.Command)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "systemd: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if !validUnitName(u.ServiceUnit()) || (u.Socket != "" && !validUnitName(u.SocketUnit())) {
			t.Fatalf("invalid unit names %q %q", u.ServiceUnit(), u.SocketUnit())
		}
		for _, text := range []string{u.Service, u.Socket} {
			if !utf8.ValidString(text) {
				t.Fatalf("unit is not UTF-8:\n%s", text)
			}
			for _, line := range strings.Split(text, "\n") {
				if strings.HasSuffix(line, `\`) || strings.ContainsAny(line, "\r\x00") {
					t.Fatalf("line %q", line)
				}
			}
		}
		svc := parseUnit(t, u.Service)
		for k, v := range svc {
			if !keys[k] {
				t.Fatalf("unit has %s=%q, which Render does not write:\n%s", k, v, u.Service)
			}
		}
		if n := len(svc["Service/ExecStart"]); n != 1 {
			t.Fatalf("%d ExecStart= lines", n)
		}
		if got := splitExec(t, svc["Service/ExecStart"][0]); strings.Join(got, "\x00") != strings.Join(def.Command, "\x00") {
			t.Fatalf("ExecStart reads back as %q, want %q", got, def.Command)
		}
		var envBack []string
		for _, e := range svc["Service/Environment"] {
			envBack = append(envBack, splitExec(t, e)...)
		}
		if strings.Join(envBack, "\x00") != strings.Join(def.Env, "\x00") {
			t.Fatalf("Environment reads back as %q, want %q", envBack, def.Env)
		}
		if got, want := svc["Service/WorkingDirectory"], orDefault(def.Dir, "/"); len(got) != 1 || got[0] != want {
			t.Fatalf("WorkingDirectory = %q, want %q", got, want)
		}
		if len(svc["Service/EnvironmentFile"]) != len(def.EnvFiles) {
			t.Fatalf("EnvironmentFile = %q, want %q", svc["Service/EnvironmentFile"], def.EnvFiles)
		}
		if u.Socket == "" {
			if len(def.Listen) > 0 {
				t.Fatal("no socket unit for --listen")
			}
			return
		}
		sock := parseUnit(t, u.Socket)
		for k, v := range sock {
			if !keys[k] {
				t.Fatalf("socket unit has %s=%q", k, v)
			}
		}
		if len(sock["Socket/ListenStream"]) != len(def.Listen) {
			t.Fatalf("ListenStream = %q for %q", sock["Socket/ListenStream"], def.Listen)
		}
		if s := sock["Socket/Service"]; len(s) != 1 || s[0] != u.ServiceUnit() || svc["Unit/Requires"][0] != u.SocketUnit() {
			t.Fatalf("the units do not name each other: %q %q", s, svc["Unit/Requires"])
		}
	})
}
