package watch

import (
	"path"
	"path/filepath"
	"strings"
)

// Glob is a pattern of --watch or --watch-ignore, resolved against a
// daemon's folder. A pattern without a slash ("*.py", ".git") applies at
// any depth under the folder, as in a .gitignore; one with a slash
// ("src/**/*.go", "/etc/app/*.conf") is a path, relative to the folder
// unless absolute, in which "**" stands for any number of folders. The
// rest is path.Match's syntax: *, ?, [...], \ to quote.
type Glob struct {
	Pattern string // as given
	dir     string // the daemon's folder, for a pattern without a slash
	parts   []string
	base    bool
}

// ParseGlob resolves pattern against dir (absolute) and checks its syntax.
func ParseGlob(pattern, dir string) (Glob, error) {
	g := Glob{Pattern: pattern, dir: filepath.Clean(dir)}
	p := strings.TrimSuffix(pattern, "/")
	if !strings.Contains(p, "/") {
		g.base, g.parts = true, []string{p}
	} else {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		g.parts = strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	}
	for _, part := range g.parts {
		if _, err := path.Match(part, ""); err != nil {
			return Glob{}, err
		}
	}
	return g, nil
}

// Root is the folder under which the pattern's files are: the longest
// part of it without a wildcard, short of the last (a file is watched by
// its folder, so that one replaced by a rename is seen too).
func (g Glob) Root() string {
	if g.base {
		return g.dir
	}
	root := "/"
	for _, part := range g.parts[:len(g.parts)-1] {
		if strings.ContainsAny(part, `*?[\`) {
			break
		}
		root = filepath.Join(root, part)
	}
	return root
}

// Match reports whether the file at p (absolute, clean) is one of the
// pattern's.
func (g Glob) Match(p string) bool {
	if g.base {
		if !within(p, g.dir) {
			return false
		}
		ok, _ := path.Match(g.parts[0], filepath.Base(p))
		return ok
	}
	return matchParts(g.parts, strings.Split(strings.TrimPrefix(p, "/"), "/"))
}

// Covers reports whether p, or a folder it is in, is one of the
// pattern's: what --watch-ignore leaves out (an ignored folder's files are
// ignored with it).
func (g Glob) Covers(p string) bool {
	for q := p; ; q = filepath.Dir(q) {
		if g.Match(q) {
			return true
		}
		if q == "/" || g.base && q == g.dir {
			return false
		}
	}
}

// matchParts matches path segments against pattern segments, "**"
// standing for any number of segments (none included).
func matchParts(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchParts(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// within reports whether p is dir or under it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
