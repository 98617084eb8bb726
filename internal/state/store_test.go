//go:build unix

package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const nobodyUID = 65534

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestOpenCreatesRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b", "tend")
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root() != root {
		t.Errorf("Root() = %q; want %q", s.Root(), root)
	}
	for _, p := range []string{root, filepath.Dir(root)} {
		if m := mode(t, p); m != fs.ModeDir|0o700 {
			t.Errorf("%s has mode %v; want drwx------", p, m)
		}
	}
	if _, err := Open(root); err != nil {
		t.Errorf("second Open: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	tmp := t.TempDir()
	real := filepath.Join(tmp, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(tmp, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		link: "is a symbolic link",
		file: "is not a directory",
		open: "chmod go-w " + open,
	}
	dangling := filepath.Join(tmp, "dangling")
	if err := os.Symlink(filepath.Join(tmp, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	tests[dangling] = "is a symbolic link"
	if os.Geteuid() == 0 {
		other := filepath.Join(tmp, "other")
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, nobodyUID, nobodyUID); err != nil {
			t.Fatal(err)
		}
		tests[other] = "is owned by uid 65534"
	}
	for root, want := range tests {
		if _, err := Open(root); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v; want an error saying %q", root, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(tmp, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open followed the dangling link: %v", err)
	}
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tend"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreate(t *testing.T) {
	s := openStore(t)
	d, err := s.Create("web")
	if err != nil {
		t.Fatal(err)
	}
	want := Dir{Name: "web", Path: filepath.Join(s.Root(), "web")}
	if d != want {
		t.Errorf("Create = %+v; want %+v", d, want)
	}
	if m := mode(t, d.Path); m != fs.ModeDir|0o700 {
		t.Errorf("mode %v; want drwx------", m)
	}
	if d2, err := s.Create("web"); err != nil || d2 != d {
		t.Errorf("Create existing = %+v, %v; want %+v, nil", d2, err, d)
	}
	if _, err := s.Create("../escape"); !errors.Is(err, ErrBadName) {
		t.Errorf("Create(../escape) = %v; want ErrBadName", err)
	}
	if d, err := s.Dir("api"); err != nil || d.Path != filepath.Join(s.Root(), "api") {
		t.Errorf("Dir(api) = %+v, %v", d, err)
	}
	if _, err := os.Lstat(filepath.Join(s.Root(), "api")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dir created the folder: %v", err)
	}
}

func TestCreateRefusesPlanted(t *testing.T) {
	s := openStore(t)
	target := t.TempDir()
	if err := os.Symlink(target, filepath.Join(s.Root(), "evil")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("evil"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Create over a symlink = %v; want a symbolic link error", err)
	}
	dangling := filepath.Join(t.TempDir(), "never")
	if err := os.Symlink(dangling, filepath.Join(s.Root(), "dangle")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("dangle"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Create over a dangling symlink = %v; want a symbolic link error", err)
	}
	if _, err := os.Lstat(dangling); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create followed the dangling link: %v", err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("file"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Create over a file = %v; want not a directory", err)
	}
	if err := os.Mkdir(filepath.Join(s.Root(), "loose"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(s.Root(), "loose"), 0o775); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("loose"); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("Create over a 0775 folder = %v; want writable error", err)
	}
	if os.Geteuid() == 0 {
		p := filepath.Join(s.Root(), "theirs")
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, nobodyUID, nobodyUID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create("theirs"); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("Create over another user's folder = %v; want owner error", err)
		}
	}
}

func TestListAndRemove(t *testing.T) {
	s := openStore(t)
	for _, n := range []string{"web", "api", "a@b"} {
		if _, err := s.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	r := s.Root()
	target := t.TempDir()
	mustDo(t, os.Symlink(target, filepath.Join(r, "link")))
	mustDo(t, os.Mkdir(filepath.Join(r, ".hidden"), 0o700))
	mustDo(t, os.Mkdir(filepath.Join(r, "bad name"), 0o700))
	mustDo(t, os.WriteFile(filepath.Join(r, "file"), nil, 0o600))
	names, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@b", "api", "web"}; !slices.Equal(names, want) {
		t.Errorf("List() = %q; want %q", names, want)
	}

	mustDo(t, os.WriteFile(filepath.Join(r, "web", "status.json"), []byte("{}"), 0o600))
	if err := s.Remove("web"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("web"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing daemon = %v; want ErrNotExist", err)
	}
	mustDo(t, os.WriteFile(filepath.Join(target, "keep"), nil, 0o600))
	if err := s.Remove("link"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "keep")); err != nil {
		t.Errorf("Remove followed a symlink: %v", err)
	}
	if err := s.Remove(".."); !errors.Is(err, ErrBadName) {
		t.Errorf("Remove(..) = %v; want ErrBadName", err)
	}
	names, _ = s.List()
	if want := []string{"a@b", "api"}; !slices.Equal(names, want) {
		t.Errorf("List() after Remove = %q; want %q", names, want)
	}
}

func TestDirPaths(t *testing.T) {
	d := Dir{Name: "web", Path: "/s/web"}
	got := []string{d.LockFile(), d.SupervisorPIDFile(), d.StatusFile(), d.DefinitionFile(),
		d.Socket(), d.NotifySocket(), d.LogFile(), d.EventLog()}
	want := []string{"/s/web/lock", "/s/web/supervisor.pid", "/s/web/status.json", "/s/web/definition.json",
		"/s/web/control.sock", "/s/web/notify.sock", "/s/web/output.log", "/s/web/events.log"}
	if !slices.Equal(got, want) {
		t.Errorf("paths = %q; want %q", got, want)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestForeignNotBelieved: a folder or record that others may write is
// skipped by List, reported by Foreign, and refused by Existing and
// ReadJSON with ErrForeign.
func TestForeignNotBelieved(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := s.Create("good")
	bad, _ := s.Create("bad")
	if err := os.Chmod(bad.Path, 0o777); err != nil {
		t.Fatal(err)
	}
	names, _ := s.List()
	if len(names) != 1 || names[0] != "good" {
		t.Errorf("List = %v; want [good]", names)
	}
	foreign, _ := s.Foreign()
	if len(foreign) != 1 || !errors.Is(foreign[0], ErrForeign) || !strings.Contains(foreign[0].Error(), bad.Path) {
		t.Errorf("Foreign = %v; want one error naming %s", foreign, bad.Path)
	}
	if _, err := s.Existing("bad"); !errors.Is(err, ErrForeign) {
		t.Errorf("Existing(bad) = %v; want ErrForeign", err)
	}
	if _, err := s.Existing("good"); err != nil {
		t.Errorf("Existing(good) = %v", err)
	}
	if _, err := s.Existing("none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Existing(none) = %v; want ErrNotExist", err)
	}
	rec := filepath.Join(good.Path, "status.json")
	if err := WriteJSON(rec, map[string]int{"a": 1}, 0o600); err != nil {
		t.Fatal(err)
	}
	var v map[string]int
	if err := ReadJSON(rec, &v); err != nil {
		t.Fatalf("ReadJSON of a private record: %v", err)
	}
	os.Chmod(rec, 0o622)
	if err := ReadJSON(rec, &v); !errors.Is(err, ErrForeign) {
		t.Errorf("ReadJSON of a record others may write = %v; want ErrForeign", err)
	}
}
