package supervisor

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/account"
	"github.com/tendhq/tend/internal/definition"
)

// The --listen sockets: the supervisor binds them once, and every
// incarnation gets them as fds 3... (LISTEN_FDS), as from a systemd
// .socket unit. A unix socket's file gets the mode and owner of
// --socket-mode, --socket-user and --socket-group (SocketMode=,
// SocketUser=, SocketGroup=): by default 0666 and the supervisor's user,
// so that a daemon running as another --user can connect to its own
// socket.

// ownership is the mode and owner of the unix sockets' files; uid and gid
// are -1 where unchanged.
type ownership struct {
	mode     os.FileMode
	uid, gid int
}

func socketOwnership(d *definition.Definition) (ownership, error) {
	uid, gid, err := account.Owner(d.SocketUser, d.SocketGroup)
	if err != nil {
		return ownership{}, fmt.Errorf("cannot start %s: --socket-user, --socket-group: %w", d.Name, err)
	}
	return ownership{mode: d.SocketFileMode(), uid: uid, gid: gid}, nil
}

// listenBacklog is the backlog asked for; the kernel takes at most its
// own limit (net.core.somaxconn, kern.ipc.somaxconn).
const listenBacklog = 1<<16 - 1

// bindListener binds one --listen socket and returns its descriptor. A
// unix socket's file left by a previous run is replaced, but only when
// nothing answers on it.
func bindListener(l definition.ListenSocket, own ownership) (*os.File, error) {
	if l.Network == "unix" {
		return bindUnix(l, own)
	}
	ln, err := net.Listen(l.Network, l.Address)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", l, err)
	}
	defer ln.Close() // the duplicate keeps the socket
	f, err := ln.(interface{ File() (*os.File, error) }).File()
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", l, err)
	}
	return f, nil
}

// bindUnix binds a unix socket and gives its file its mode and owner
// before it listens: until then a connection is refused, so that nobody
// reaches the socket while its file has the umask's mode.
func bindUnix(l definition.ListenSocket, own ownership) (*os.File, error) {
	if fi, err := os.Lstat(l.Address); err == nil {
		switch {
		case fi.Mode()&os.ModeSocket == 0 && !fi.Mode().IsRegular():
			return nil, fmt.Errorf("--listen %s: %s is a %s, not a socket: give a path where a socket can be made", l, l.Address, fileKind(fi.Mode()))
		case fi.Mode()&os.ModeSocket != 0:
			if c, err := net.DialTimeout("unix", l.Address, time.Second); err == nil {
				c.Close()
				return nil, fmt.Errorf("--listen %s: something already serves it", l)
			}
			os.Remove(l.Address)
		}
	}
	// Close-on-exec at once, so that no fork of another goroutine
	// inherits it: the socket is passed on only as fd 3...
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", l, os.NewSyscallError("socket", err))
	}
	f := os.NewFile(uintptr(fd), l.String())
	fail := func(err error) (*os.File, error) {
		f.Close()
		return nil, fmt.Errorf("--listen %s: %w", l, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: l.Address}); err != nil {
		return fail(os.NewSyscallError("bind", err))
	}
	bound := func(err error) (*os.File, error) {
		os.Remove(l.Address)
		return fail(err)
	}
	if err := os.Chmod(l.Address, own.mode); err != nil {
		return bound(err)
	}
	if own.uid >= 0 || own.gid >= 0 {
		if err := os.Lchown(l.Address, own.uid, own.gid); err != nil {
			return bound(fmt.Errorf("give the socket to --socket-user/--socket-group: %w", err))
		}
	}
	if err := unix.Listen(fd, listenBacklog); err != nil {
		return bound(os.NewSyscallError("listen", err))
	}
	return f, nil
}

// fileKind names a kind of file for errors.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "FIFO"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "file"
}
