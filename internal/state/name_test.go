package state

import (
	"errors"
	"strings"
	"testing"
)

func TestHome(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want string // "" means an error
	}{
		{"tend home wins", map[string]string{"TEND_HOME": "/srv/t", "HOME": "/h"}, 0, "/srv/t"},
		{"tend home cleaned", map[string]string{"TEND_HOME": "/srv//t/"}, 1000, "/srv/t"},
		{"root", map[string]string{"HOME": "/root", "XDG_STATE_HOME": "/x"}, 0, "/var/lib/tend"},
		{"xdg", map[string]string{"HOME": "/h", "XDG_STATE_HOME": "/x/state"}, 1000, "/x/state/tend"},
		{"relative xdg ignored", map[string]string{"HOME": "/h", "XDG_STATE_HOME": "rel"}, 1000, "/h/.local/state/tend"},
		{"home", map[string]string{"HOME": "/h"}, 1000, "/h/.local/state/tend"},
		{"nothing", map[string]string{}, 1000, ""},
		{"relative home", map[string]string{"HOME": "h"}, 1000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := home(func(k string) string { return tt.env[k] }, tt.euid)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "set TEND_HOME") {
					t.Fatalf("home() = %q, %v; want an error telling to set TEND_HOME", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("home() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestHomeRelativeTendHome(t *testing.T) {
	t.Setenv("TEND_HOME", "rel/dir")
	got, err := Home()
	if err != nil || !strings.HasSuffix(got, "/rel/dir") || got[0] != '/' {
		t.Fatalf("Home() = %q, %v; want an absolute path ending in /rel/dir", got, err)
	}
}

func TestValidateName(t *testing.T) {
	good := []string{"web", "a", "web-1", "my_app.prod", "user@host", "x:8080", "c++", "A9",
		strings.Repeat("n", MaxNameLen), "a.b.c", "a-", "a."}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v; want nil", n, err)
		}
	}
	bad := map[string]string{
		"":                                "is empty",
		".":                               `starts with '.'`,
		"..":                              `starts with '.'`,
		".hidden":                         `starts with '.'`,
		"-flag":                           `starts with '-'`,
		"a/b":                             `contains '/' at byte 1`,
		"a..b":                            `contains ".."`,
		"a b":                             `contains ' ' at byte 1`,
		"a\tb":                            `contains '\t'`,
		"a\nb":                            `contains '\n'`,
		"a\x00":                           `contains '\x00'`,
		"é":                               `contains 'é' at byte 0`,
		"a$b":                             `contains '$'`,
		strings.Repeat("n", MaxNameLen+1): "is 65 bytes long",
	}
	for n, want := range bad {
		err := ValidateName(n)
		if !errors.Is(err, ErrBadName) {
			t.Errorf("ValidateName(%q) = %v; want ErrBadName", n, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, "names are 1-64 characters") {
			t.Errorf("ValidateName(%q) = %q; want it to say %q and what is allowed", n, msg, want)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"web", "..", "a/b", "-x", "a..b", "é", "a b", strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("error %v does not wrap ErrBadName", err)
			}
			return
		}
		if name == "" || len(name) > MaxNameLen || name[0] == '.' || name[0] == '-' ||
			strings.Contains(name, "..") || strings.ContainsAny(name, "/ \t\r\n\x00\\") {
			t.Fatalf("ValidateName accepted %q", name)
		}
		for _, r := range name {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("ValidateName accepted %q with %q", name, r)
			}
		}
	})
}
