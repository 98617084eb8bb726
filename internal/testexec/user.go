package testexec

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Nobody prepares a test of what another user may do: it returns the
// credential of user nobody and a new folder that nobody can reach (the
// folder and its parent made by t.TempDir are opened for traversal). It
// skips the test unless it runs as root and the user exists.
func Nobody(t testing.TB) (*syscall.Credential, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run processes as another user")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, dir
}

// CopyExecutable copies the executable at src into dir and returns the
// copy's path, for a user who cannot reach src (the go build cache and
// root's temporary folders are private).
func CopyExecutable(t testing.TB, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}
