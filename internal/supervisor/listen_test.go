//go:build linux

package supervisor

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/definition"
)

// TestUnixListener: a unix --listen socket's file gets its mode and owner
// (as root: nobody's), it is passed on blocking and close-on-exec, a live
// socket is never replaced and a stale one is.
func TestUnixListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	l := definition.ListenSocket{Name: "s", Network: "unix", Address: path}
	own := ownership{mode: 0o640, uid: -1, gid: -1}
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		own.uid, own.gid, uid, gid = 65534, 65534, 65534, 65534
	}
	f, err := bindListener(l, own)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode() != os.ModeSocket|0o640 || int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("socket file %v owned by %d:%d, want %v owned by %d:%d", fi.Mode(), st.Uid, st.Gid, os.ModeSocket|0o640, uid, gid)
	}
	if fl, _ := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Errorf("the socket is non-blocking: a daemon's accept would fail with EAGAIN")
	}
	if fd, _ := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); fd&unix.FD_CLOEXEC == 0 {
		t.Errorf("the socket is not close-on-exec")
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	c.Close()
	if _, err := bindListener(l, own); err == nil || !strings.Contains(err.Error(), "already serves it") {
		t.Errorf("a second bind of a live socket: %v", err)
	}
	f.Close() // the file stays, and nothing answers on it
	f, err = bindListener(l, own)
	if err != nil {
		t.Fatalf("a stale socket was not replaced: %v", err)
	}
	f.Close()
}
