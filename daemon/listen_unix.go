//go:build unix

package daemon

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first descriptor a service manager passes
// (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// ListenFiles returns the sockets a service manager passed to this process
// with the socket-activation protocol that systemd and tend (--listen)
// speak: LISTEN_FDS descriptors from fd 3, meant for this process only if
// LISTEN_PID is its pid, named by LISTEN_FDNAMES (each file's Name). It
// unsets the three variables, so that children do not take the sockets
// for theirs, and marks the descriptors close-on-exec. Without them (not
// started that way, or called twice) it returns nil and no error.
func ListenFiles() ([]*os.File, error) {
	pidStr, fdsStr, namesStr := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if pidStr == "" || fdsStr == "" {
		return nil, nil
	}
	if pid, err := strconv.Atoi(pidStr); err != nil || pid != os.Getpid() {
		return nil, nil // for another process (one that exec'd us without clearing them)
	}
	n, err := strconv.Atoi(fdsStr)
	if err != nil || n < 0 || n > 1024 {
		return nil, fmt.Errorf("daemon: LISTEN_FDS=%q is not a count of descriptors", fdsStr)
	}
	var names []string
	if namesStr != "" {
		names = strings.Split(namesStr, ":")
	}
	files := make([]*os.File, 0, n)
	for i := 0; i < n; i++ {
		fd := listenFDsStart + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("daemon: LISTEN_FDS=%d but descriptor %d is not open: %w", n, fd, err)
		}
		unix.CloseOnExec(fd)
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files, nil
}

// Listeners returns the passed sockets (see ListenFiles) as listeners, in
// the order they were passed; the descriptors are dup'd into the
// listeners and closed. It works alike under systemd (a .socket unit) and
// under `tend start --listen`, where the sockets outlive restarts of the
// daemon: connections queue while it restarts instead of being refused.
// Call it early, before starting children. Without passed sockets it
// returns nil and no error, so that the caller can fall back on
// net.Listen.
func Listeners() ([]net.Listener, error) {
	files, err := ListenFiles()
	if err != nil {
		return nil, err
	}
	var lns []net.Listener
	for _, f := range files {
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("daemon: passed descriptor %s is not a listening socket: %w", f.Name(), err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}
