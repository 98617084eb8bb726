//go:build linux

package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/notify"
	"github.com/tendhq/tend/internal/status"
	"github.com/tendhq/tend/internal/testexec"
)

// helperNotify is a daemon that speaks sd_notify. It sends READY=1, then
// WATCHDOG=1 every quarter of $WATCHDOG_USEC, noting each ping ("ping PID
// A", A from its environment). With $OVERRIDE_USEC set, the first
// incarnation (no file $MARK yet) instead sends READY=1 with
// WATCHDOG_USEC=$OVERRIDE_USEC, waits until the supervisor has taken it
// (BARRIER=1) and crashes; later ones ping as above.
func helperNotify([]string) int {
	sock := os.Getenv("NOTIFY_SOCKET")
	if o := os.Getenv("OVERRIDE_USEC"); o != "" {
		if _, err := os.Stat(os.Getenv("MARK")); err != nil {
			os.WriteFile(os.Getenv("MARK"), nil, 0o600)
			note("override %d", os.Getpid())
			if err := notify.Send(sock, "READY=1\nWATCHDOG_USEC="+o); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := barrier(sock); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			return 3
		}
	}
	usec, _ := strconv.Atoi(os.Getenv("WATCHDOG_USEC"))
	if err := notify.Send(sock, "READY=1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		time.Sleep(time.Duration(usec) * time.Microsecond / 4)
		notify.Send(sock, "WATCHDOG=1")
		note("ping %d %s", os.Getpid(), os.Getenv("A"))
	}
}

// barrier is sd_notify_barrier(3): BARRIER=1 with the write end of a pipe,
// which the manager closes once it has taken every message sent before.
func barrier(sock string) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	defer unix.Close(p[0])
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(p[1])
		return err
	}
	defer unix.Close(fd)
	name := sock
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
	}
	err = unix.Sendmsg(fd, []byte("BARRIER=1"), unix.UnixRights(p[1]), &unix.SockaddrUnix{Name: name}, 0)
	unix.Close(p[1])
	if err != nil {
		return err
	}
	buf := make([]byte, 1)
	for {
		n, err := unix.Read(p[0], buf)
		if n == 0 && err == nil {
			return nil // every write end is closed
		}
		if err != nil && err != unix.EINTR {
			return err
		}
	}
}

// pings returns how many pings pid noted, and the A each saw.
func (f *fixture) pings(pid int) (n int, as []string) {
	b, _ := os.ReadFile(f.note)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, fmt.Sprintf("ping %d ", pid)); ok {
			n++
			as = append(as, rest)
		}
	}
	return n, as
}

// TestReloadWithHealthAndWatchdog reloads a daemon that has a health probe
// and a watchdog: the new incarnation's probe runs with its own
// environment (the new env file), the old one's stops with it, and the
// watchdog follows the new incarnation, which keeps pinging and is not
// restarted. Run with -race: the health watchers and the loop share
// nothing but messages.
func TestReloadWithHealthAndWatchdog(t *testing.T) {
	f := newFixture(t, "notify")
	envFile := filepath.Join(filepath.Dir(f.note), "env")
	os.WriteFile(envFile, []byte("A=1\n"), 0o600)
	f.def.EnvFiles = []string{envFile}
	f.def.Ready = "notify"
	f.def.Watchdog = 2 * time.Second
	f.def.Health = `exec:echo "probe $TEND_INSTANCE $A end" >> "$TEST_NOTE"`
	f.def.HealthInterval = 20 * time.Millisecond
	s := f.start(false)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	rec := s.Record()
	old := rec.Main()
	f.noted("probe 0 1")
	os.WriteFile(envFile, []byte("A=2\n"), 0o600)
	pid, err := s.Reload(stopCtx(t))
	if err != nil || pid == old.PID {
		t.Fatalf("Reload: %d, %v", pid, err)
	}
	reloaded := time.Now()
	gone(t, old)
	f.noted("probe 0 2")
	// Pings over more than the watchdog's interval: the new incarnation
	// lives on, probed healthy.
	testexec.WaitFor(t, 20*time.Second, "the new incarnation's pings for longer than the watchdog", func() bool {
		n, _ := f.pings(pid)
		return n >= 3 && time.Since(reloaded) > f.def.Watchdog+f.def.Watchdog/2
	})
	r := waitRecord(t, s, "a health check of the new incarnation", func(r status.Record) bool {
		return r.HealthCheck != nil && r.HealthCheck.At.After(reloaded)
	})
	if r.PID != pid || r.Restarts != 0 || r.Reloads != 1 || r.State != status.Running || r.Health != "healthy" {
		t.Errorf("record %+v", r)
	}
	if _, as := f.pings(pid); strings.Join(as, "") != strings.Repeat("2", len(as)) {
		t.Errorf("the new incarnation's environment: A=%v", as)
	}
}

// TestWatchdogOverrideEndsWithIncarnation: a WATCHDOG_USEC= override is
// the incarnation's that sent it, as systemd resets it at every start: the
// next incarnation, pinging within --watchdog but not within the
// override, is not killed.
func TestWatchdogOverrideEndsWithIncarnation(t *testing.T) {
	f := newFixture(t, "notify")
	f.def.Ready = "notify"
	f.def.Watchdog = 2 * time.Second
	f.def.BaseEnv = append(f.def.BaseEnv, "OVERRIDE_USEC=300000", "MARK="+filepath.Join(filepath.Dir(f.note), "mark"))
	s := f.start(false)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	first := f.notedPIDs("override", 1)[0]
	r := waitRecord(t, s, "the next incarnation", func(r status.Record) bool { return r.PID != 0 && r.PID != first.PID })
	second := r.PID
	// Pings 500 ms apart, slower than the override: by the fourth, 1.5 s
	// after the first, an override still in force would have struck.
	testexec.WaitFor(t, 20*time.Second, "four pings of the next incarnation", func() bool {
		n, _ := f.pings(second)
		return n >= 4 || s.Record().PID != second
	})
	if r := s.Record(); r.PID != second || r.Restarts != 1 || r.State != status.Running || r.LastExit == nil || r.LastExit.Code != 3 {
		b, _ := os.ReadFile(f.dir.EventLog())
		t.Errorf("record %+v; events:\n%s", r, b)
	}
}
