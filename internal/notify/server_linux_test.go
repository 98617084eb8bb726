package notify

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"

	"github.com/tendhq/tend/daemon"

	"github.com/tendhq/tend/internal/testexec"
)

func TestMain(m *testing.M) {
	testexec.Dispatch(map[string]testexec.Helper{"daemon-ready": helperDaemonReady})
	os.Exit(m.Run())
}

// helperDaemonReady is a program written with tend's daemon package, run
// by a manager.
func helperDaemonReady([]string) int {
	d, err := daemon.Detach(daemon.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d.Notify("STATUS=warming up")
	if err := d.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// receive returns the next datagram, failing the test after a deadline.
func receive(t *testing.T, s *Server) Datagram {
	t.Helper()
	type res struct {
		d   Datagram
		err error
	}
	c := make(chan res, 1)
	go func() { d, err := s.Receive(); c <- res{d, err} }()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.d
	case <-time.After(20 * time.Second):
		t.Fatal("no datagram within 20s")
	}
	return Datagram{}
}

func TestGoSystemdClient(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "notify.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(s.Addr()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket file: %v %v", fi, err)
	}
	t.Setenv("NOTIFY_SOCKET", s.Addr())
	sent, err := sddaemon.SdNotify(false, sddaemon.SdNotifyReady+"\nSTATUS=ok")
	if !sent || err != nil {
		t.Fatalf("SdNotify: %v %v", sent, err)
	}
	d := receive(t, s)
	if !d.Ready || d.Status != "ok" || d.PID != os.Getpid() || d.UID != os.Getuid() {
		t.Errorf("got %+v, want READY from pid %d", d, os.Getpid())
	}
	sddaemon.SdNotify(false, sddaemon.SdNotifyWatchdog)
	if d := receive(t, s); !d.Watchdog {
		t.Errorf("got %+v, want WATCHDOG=1", d)
	}
}

// TestOversizedAndAbstract: on an abstract socket, a datagram of
// MaxMessage bytes is accepted, as systemd accepts it, and a larger one is
// dropped whole with a *DroppedError that names its sender and size; the
// next one is delivered.
func TestOversizedAndAbstract(t *testing.T) {
	name := fmt.Sprintf("@tend-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	s, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	full := "STATUS=" + strings.Repeat("x", MaxMessage-len("STATUS="))
	for _, m := range []string{full, full + "y", "READY=1"} {
		if err := Send(name, m); err != nil {
			t.Fatal(err)
		}
	}
	if d := receive(t, s); len(d.Status) != MaxMessage-len("STATUS=") {
		t.Errorf("a message of %d bytes: got %d bytes of status", MaxMessage, len(d.Status))
	}
	var dropped *DroppedError
	if _, err := s.Receive(); !errors.As(err, &dropped) || dropped.Size != MaxMessage+1 || dropped.PID != os.Getpid() {
		t.Errorf("a message of %d bytes: %v, want it dropped, from pid %d", MaxMessage+1, err, os.Getpid())
	}
	if d := receive(t, s); !d.Ready || d.HasStatus {
		t.Errorf("got %+v, want only READY=1", d)
	}
	// Larger than any buffer: still dropped, and its size told.
	if err := Send(name, strings.Repeat("x", 100000)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Receive(); !errors.As(err, &dropped) || dropped.Size != 100000 {
		t.Errorf("a message of 100000 bytes: %v", err)
	}
}

func TestPathTooLong(t *testing.T) {
	long := "/tmp/" + strings.Repeat("x", MaxPath)
	if _, err := Listen(long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("Listen(long path): %v", err)
	}
}

func TestFileDescriptorsAreClosed(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "n.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, _ := os.Open(os.DevNull)
	defer f.Close()
	before := countFDs(t)
	if err := sendWithFD(s.Addr(), "FDSTORE=1", int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	receive(t, s)
	if after := countFDs(t); after > before {
		t.Errorf("descriptors: %d before, %d after receiving one", before, after)
	}
}

// TestDaemonPackageReady runs a program built on tend's daemon package
// with NOTIFY_SOCKET set: Detach stays in the foreground and Ready speaks
// sd_notify to our server.
func TestDaemonPackageReady(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "notify.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = testexec.Environ("daemon-ready", "NOTIFY_SOCKET="+s.Addr())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	d := receive(t, s)
	if d.Status != "warming up" || d.PID != cmd.Process.Pid {
		t.Errorf("first datagram %+v, want STATUS from pid %d", d, cmd.Process.Pid)
	}
	d = receive(t, s)
	if !d.Ready || d.MainPID != cmd.Process.Pid || d.PID != cmd.Process.Pid {
		t.Errorf("second datagram %+v, want READY=1 MAINPID=%d", d, cmd.Process.Pid)
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
