package envfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// parseFileWithin runs ParseFile and fails the test if it has not
// returned within a few seconds: a FIFO must never block it.
func parseFileWithin(t *testing.T, path string) ([]string, error) {
	t.Helper()
	type result struct {
		env []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		env, err := ParseFile(path)
		done <- result{env, err}
	}()
	select {
	case r := <-done:
		return r.env, r.err
	case <-time.After(5 * time.Second):
		// Unblock the open so the goroutine ends with the test.
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatalf("ParseFile(%s) blocked for 5s", path)
		return nil, nil
	}
}

// TestParseFileRefusesNonRegular gives ParseFile what a user may name by
// mistake: none may block, each is refused with what it is and what to
// give instead.
func TestParseFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a FIFO (named pipe), not a regular file"},
		{dir, "is a directory, not a regular file"},
		{sock, "is a socket, not a regular file"},
		{os.DevNull, "is a device, not a regular file"},
	} {
		_, err := parseFileWithin(t, tc.path)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrNotRegular) ||
			!strings.Contains(err.Error(), "envfile: "+tc.path+": "+tc.want) ||
			!strings.Contains(err.Error(), "give a file of KEY=VALUE lines") {
			t.Errorf("ParseFile(%s) = %v; want an *Error wrapping ErrNotRegular, saying %q", tc.path, err, tc.want)
		}
	}
}

// TestParseFileTooLarge checks that the size is refused before reading,
// and the error says what the limit is.
func TestParseFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.env")
	if err := os.WriteFile(path, []byte(strings.Repeat("A=1234567\n", MaxSize/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	if err == nil || !strings.Contains(err.Error(), "is 1048580 bytes, larger than 1048576 bytes (1 MiB)") {
		t.Errorf("ParseFile(1 MiB + 10 bytes) = %v; want an error naming the 1 MiB limit", err)
	}
}

// TestParseFileSymlink: a user-named file may be a symlink to a regular
// file (as /etc/default files often are).
func TestParseFileSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real.env"), []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.env")
	if err := os.Symlink("real.env", link); err != nil {
		t.Fatal(err)
	}
	if env, err := ParseFile(link); err != nil || len(env) != 1 || env[0] != "A=1" {
		t.Errorf("ParseFile(symlink) = %q, %v", env, err)
	}
}

// TestReadFile is what a caller uses to hash an env file's contents
// with the same safety as ParseFile.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.env")
	if err := os.WriteFile(path, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(path); err != nil || string(b) != "A=1\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile(FIFO) = %v, want ErrNotRegular", err)
		}
	case <-time.After(5 * time.Second):
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("ReadFile(FIFO) blocked")
	}
}
