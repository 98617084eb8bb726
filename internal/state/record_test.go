//go:build unix

package state

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

type record struct {
	PID   int    `json:"pid"`
	State string `json:"state"`
}

func TestWriteReadJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status.json")
	for _, r := range []record{{1, "starting"}, {42, "running"}} { // the second replaces the first
		if err := WriteJSON(path, r, 0o640); err != nil {
			t.Fatal(err)
		}
		var got record
		if err := ReadJSON(path, &got); err != nil || got != r {
			t.Fatalf("ReadJSON = %+v, %v; want %+v", got, err, r)
		}
	}
	if m := mode(t, path); m != 0o640 {
		t.Errorf("mode %v; want -rw-r----- regardless of umask", m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only status.json (no temp files left)", len(entries))
	}
	if err := WriteJSON(path, func() {}, 0o600); err == nil {
		t.Error("WriteJSON of a func succeeded")
	}
	if err := WriteJSON(filepath.Join(dir, "missing", "x.json"), record{}, 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteJSON into a missing folder = %v; want ErrNotExist", err)
	}
}

func TestWriteJSONReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	mustDo(t, os.WriteFile(victim, []byte("precious"), 0o600))
	path := filepath.Join(dir, "status.json")
	mustDo(t, os.Symlink(victim, path))

	var r record
	if err := ReadJSON(path, &r); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("ReadJSON through a symlink = %v; want ErrCorrupt naming the link", err)
	}
	if err := WriteJSON(path, record{7, "up"}, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("link target was overwritten: %q", b)
	}
	if m := mode(t, path); !m.IsRegular() {
		t.Errorf("path is %v after WriteJSON; want a regular file", m)
	}
	if err := ReadJSON(path, &r); err != nil || r.PID != 7 {
		t.Errorf("ReadJSON = %+v, %v", r, err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	dir := t.TempDir()
	var r record
	if err := ReadJSON(filepath.Join(dir, "none.json"), &r); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrCorrupt) {
		t.Errorf("missing file: %v; want ErrNotExist", err)
	}
	bad := map[string]string{
		"empty":     "",
		"truncated": `{"pid": 4`,
		"garbage":   "\x00\xff not json",
		"trailing":  `{"pid": 4} {"pid": 5}`,
		"type":      `{"pid": "four"}`,
		"huge":      `{"state": "` + strings.Repeat("x", MaxRecordSize) + `"}`,
	}
	for name, content := range bad {
		path := filepath.Join(dir, name+".json")
		mustDo(t, os.WriteFile(path, []byte(content), 0o600))
		err := ReadJSON(path, &r)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("%s: ReadJSON = %v; want ErrCorrupt naming %s and the remedy", name, err, path)
		}
	}
	var syn *json.SyntaxError
	if err := ReadJSON(filepath.Join(dir, "truncated.json"), &r); !errors.As(err, &syn) {
		t.Errorf("truncated: %v; want the decoding error kept", err)
	}

	fifo := filepath.Join(dir, "fifo.json")
	mustDo(t, syscall.Mkfifo(fifo, 0o600))
	if err := ReadJSON(fifo, &r); !errors.Is(err, ErrCorrupt) { // must not block
		t.Errorf("FIFO: %v; want ErrCorrupt", err)
	}
	if err := ReadJSON(dir, &r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("directory: %v; want ErrCorrupt", err)
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{"", "{}", `{"pid":1,"state":"up"}`, `{"pid":`, "null", "[1,2]", `"x"`, "\xff"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "r.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var r record
		if err := ReadJSON(path, &r); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("ReadJSON(%q) = %v; want nil or ErrCorrupt", data, err)
		}
		var m map[string]any
		if err := ReadJSON(path, &m); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("ReadJSON(%q) into a map = %v", data, err)
		}
	})
}
