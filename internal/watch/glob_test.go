package watch

import "testing"

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, p string
		match      bool
		covers     bool
	}{
		{"*.py", "/app/main.py", true, true},
		{"*.py", "/app/lib/deep/x.py", true, true},
		{"*.py", "/other/x.py", false, false},
		{"*.py", "/app/main.go", false, false},
		{"src/**/*.go", "/app/src/a.go", true, true},
		{"src/**/*.go", "/app/src/x/y/a.go", true, true},
		{"src/**/*.go", "/app/main.go", false, false},
		{"config.toml", "/app/config.toml", true, true},
		{"/etc/app/*.conf", "/etc/app/a.conf", true, true},
		{"/etc/app/*.conf", "/etc/app/sub/a.conf", false, false},
		{".git", "/app/.git/HEAD", false, true},
		{"node_modules", "/app/web/node_modules/x/index.js", false, true},
		{"data/", "/app/data/db.json", false, true},
	} {
		g, err := ParseGlob(c.pattern, "/app")
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(c.p); got != c.match {
			t.Errorf("%q Match(%s) = %v", c.pattern, c.p, got)
		}
		if got := g.Covers(c.p); got != c.covers {
			t.Errorf("%q Covers(%s) = %v", c.pattern, c.p, got)
		}
	}
	for pattern, root := range map[string]string{"*.py": "/app", "src/**/*.go": "/app/src", "/etc/app/*.conf": "/etc/app",
		"config.toml": "/app", "a/b/c.txt": "/app/a/b", "x*/y/z": "/app"} {
		if g, _ := ParseGlob(pattern, "/app"); g.Root() != root {
			t.Errorf("%q Root() = %s, want %s", pattern, g.Root(), root)
		}
	}
	if _, err := ParseGlob("[", "/app"); err == nil {
		t.Error(`"[" parsed`)
	}
}
