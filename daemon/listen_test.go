//go:build linux

package daemon

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestListeners passes a listening socket as fd 3 to a re-executed test
// binary, as systemd and tend --listen do, and talks to it.
func TestListeners(t *testing.T) {
	if os.Getenv("TEND_TEST_LISTEN") == "1" {
		lns, err := Listeners()
		if err != nil || len(lns) != 1 || os.Getenv("LISTEN_FDS") != "" {
			os.Exit(3)
		}
		c, err := lns[0].Accept()
		if err != nil {
			os.Exit(4)
		}
		c.Write([]byte("hello\n"))
		c.Close()
		os.Exit(0)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, _ := ln.(*net.TCPListener).File()
	defer f.Close()
	exe, _ := os.Executable()
	// LISTEN_PID must be the child's pid: a shell knows it ($$) and exec
	// keeps it.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$; export LISTEN_PID; exec "$0" -test.run=TestListeners`, exe)
	cmd.Env = append(os.Environ(), "TEND_TEST_LISTEN=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=web")
	cmd.ExtraFiles = []*os.File{f}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	c.Close()
	if err := cmd.Wait(); err != nil || string(buf[:n]) != "hello\n" {
		t.Fatalf("child: %v, read %q", err, buf[:n])
	}
}

func TestListenFilesForAnotherPID(t *testing.T) {
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()+1))
	t.Setenv("LISTEN_FDS", "1")
	files, err := ListenFiles()
	if files != nil || err != nil || os.Getenv("LISTEN_FDS") != "" {
		t.Errorf("ListenFiles for another pid: %v %v", files, err)
	}
}
