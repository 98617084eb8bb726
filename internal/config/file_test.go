package config

import (
	"github.com/tendhq/tend/internal/definition"

	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcfileRefusesWhatACommandCannotCarry: a Procfile line that no
// command line can carry fails the whole load, with FILE:LINE, so that
// tend up changes nothing (before, a NUL byte reached exec(2) and only
// that daemon failed, after the others had started).
func TestProcfileRefusesWhatACommandCannotCarry(t *testing.T) {
	long := strings.Repeat("x", definition.MaxArgLen()+1)
	for _, tc := range []struct{ name, text, want string }{
		{"NUL in a command", "web: ./server\nworker: work\x00er --queue jobs\n",
			"Procfile:2: line contains a NUL byte (column 13), which no command line can carry: remove it"},
		{"NUL in a comment", "# a\x00b\nweb: ./server\n", "Procfile:1: line contains a NUL byte (column 4)"},
		{"NUL in a name", "w\x00eb: ./server\n", "Procfile:1: line contains a NUL byte (column 2)"},
		{"CR line endings", "web: ./server\rworker: worker\r", "Procfile:1: line contains a carriage return (column 14) that does not end it: save the file with LF (or CRLF) line endings"},
		{"invalid UTF-8", "web: ./server\nworker: caf\xe9\n", "Procfile:2: worker: line is not valid UTF-8 (byte 0xe9 at column 12): save the file as UTF-8"},
		{"argument too long", "web: echo " + long + "\n", fmt.Sprintf("Procfile:1: web: argument 2 of the command is %d bytes; "+
			"Linux refuses an argument over %d bytes: pass the data in a file instead", len(long), definition.MaxArgLen())},
		{"shell command too long", "web: echo " + long + " | cat\n", fmt.Sprintf("Procfile:1: web: argument 3 of the command is %d bytes", len(long)+11)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if long == "x" && strings.Contains(tc.name, "too long") {
				t.Skip("no limit on the length of one argument here")
			}
			dir := t.TempDir()
			_, err := Load(write(t, dir, "Procfile", tc.text))
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), filepath.Join(dir, "Procfile")) {
				t.Errorf("got %v\nwant an *Error containing %q", err, tc.want)
			}
		})
	}
}

// TestProcfileOddButFine: what a Procfile may have that looks odd.
func TestProcfileOddButFine(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(write(t, dir, "Procfile", "\uFEFFweb: ./server\r\n# caf\xe9 (a Latin-1 comment)\r\nworker: echo \"caf\u00e9\"\twith a tab\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Daemon("web") == nil || f.Daemon("worker") == nil {
		t.Fatalf("daemons %v", f.Daemons)
	}
	if got := f.Daemon("worker").Definition.Command; len(got) != 5 || got[1] != "café" {
		t.Errorf("worker command %q", got)
	}
}

// TestTOMLRefusesWhatACommandCannotCarry: TOML's \u0000 escape makes a
// NUL byte that the TOML parser accepts; it is refused at its key.
func TestTOMLRefusesWhatACommandCannotCarry(t *testing.T) {
	long := strings.Repeat("x", definition.MaxArgLen()+1)
	for _, tc := range []struct{ name, text, want string }{
		{"NUL in command string", "[web]\ncommand = \"./server\\u0000 -v\"\n",
			"tend.toml:2: web.command: contains a NUL byte (\\u0000), which no command line, environment variable or path can carry: remove it"},
		{"NUL in command array", "[web]\ncommand = [\"./server\", \"a\\u0000\"]\n", "tend.toml:2: web.command: contains a NUL byte"},
		{"NUL in env table", "[web]\ncommand = \"x\"\n\nenv = { A = \"1\\u0000\" }\n", "tend.toml:4: web.env: contains a NUL byte"},
		{"NUL in env array", "[web]\ncommand = \"x\"\nenv = [\"A=\\u0000\"]\n", "tend.toml:3: web.env: contains a NUL byte"},
		{"NUL in env_file", "[web]\ncommand = \"x\"\nenv_file = \"a\\u0000\"\n", "tend.toml:3: web.env_file: contains a NUL byte"},
		{"NUL in dir", "[web]\ncommand = \"x\"\ndir = \"/srv\\u0000\"\n", "tend.toml:3: web.dir: contains a NUL byte"},
		{"NUL in after", "[web]\ncommand = \"x\"\nafter = [\"db\\u0000\"]\n", "tend.toml:3: web.after: contains a NUL byte"},
		{"CR line endings", "[web]\rcommand = \"x\"\r", "tend.toml:1: line contains a carriage return (column 6) that does not end it: save the file with LF (or CRLF) line endings"},
		{"argument too long", "[web]\ncommand = [\"/bin/echo\", \"" + long + "\"]\n", fmt.Sprintf("tend.toml:2: web.command: argument 2 of the command is %d bytes", len(long))},
		{"env too long", "[web]\ncommand = \"x\"\nenv = { A = \"" + long + "\" }\n", fmt.Sprintf("tend.toml:3: web.env: variable A is %d bytes (A= and the value); "+
			"Linux refuses an environment variable over %d bytes: put the value in a file", len(long)+2, definition.MaxArgLen())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if long == "x" && strings.Contains(tc.name, "too long") {
				t.Skip("no limit on the length of one argument here")
			}
			dir := t.TempDir()
			_, err := Load(write(t, dir, "tend.toml", tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestTOMLByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	f, err := Load(write(t, dir, "tend.toml", "\uFEFF[web]\r\ncommand = \"./server\"\r\n"))
	if err != nil || f.Daemon("web") == nil || f.Daemon("web").Line != 1 {
		t.Fatalf("a tend.toml with a BOM and CRLF: %v", err)
	}
}

// TestTOMLEnvFileChecked: an env_file that exists is checked as the
// Procfile's .env is, so that a bad one fails the load at its key; one
// that does not exist is left for tend start (it may exist only on the
// machine the units are exported for).
func TestTOMLEnvFileChecked(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad.env", "A=1\nB=\x00\n")
	_, err := Load(write(t, dir, "tend.toml", "[web]\ncommand = \"x\"\nenv_file = [\"missing.env\", \"bad.env\"]\n"))
	want := "tend.toml:3: web.env_file: " + filepath.Join(dir, "bad.env") + ":2: line contains a NUL byte"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %q", err, want)
	}
}

// loadWithin runs Load and fails if it blocks.
func loadWithin(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := Load(path); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Load(%s) blocked for 5s", path)
		return nil
	}
}

// unblock opens the FIFO for writing (if it has a reader) so that a
// blocked open returns.
func unblock(fifo string) {
	if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}

// TestLoadRefusesNonRegular: a FIFO, a directory, a socket or a device
// given as the file, or as the .env beside a Procfile, is refused at once
// with what it is, never read (a FIFO would block tend up forever).
func TestLoadRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unblock(p) })
		return p
	}
	sockDir := t.TempDir()
	sock := filepath.Join(sockDir, "Procfile")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct{ path, want string }{
		{mk("Procfile"), "Procfile: is a FIFO (named pipe), not a regular file: give a tend.toml or a Procfile"},
		{mk("tend.toml"), "tend.toml: is a FIFO (named pipe), not a regular file"},
		{t.TempDir(), "is a directory, not a regular file"},
		{sock, "Procfile: is a socket, not a regular file"},
		{os.DevNull, "/dev/null: is a device, not a regular file"},
	} {
		err := loadWithin(t, tc.path)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v; want an *Error containing %q", tc.path, err, tc.want)
		}
	}

	// The .env beside a Procfile.
	pdir := t.TempDir()
	p := write(t, pdir, "Procfile", "web: ./server\n")
	env := filepath.Join(pdir, ".env")
	if err := syscall.Mkfifo(env, 0o600); err != nil {
		t.Fatal(err)
	}
	defer unblock(env)
	if err := loadWithin(t, p); err == nil || !strings.Contains(err.Error(), env+": is a FIFO (named pipe), not a regular file") {
		t.Errorf("Procfile with a FIFO .env: %v", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("# padding padding padding padding padding padding padding padding\n", MaxFileSize/64)
	_, err := Load(write(t, dir, "Procfile", text))
	if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes (1 MiB)") {
		t.Errorf("Load(%d bytes) = %v", len(text), err)
	}
}
