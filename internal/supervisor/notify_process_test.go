//go:build linux

package supervisor

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// helperExtend asks for more time with EXTEND_TIMEOUT_USEC=2000000 every
// 300 ms for $EXTEND_FOR: at its start, before READY=1, or with $ON_TERM
// set, once SIGTERM comes, before it exits 0. With $BIG set, it first
// sends a datagram of $BIG bytes.
func helperExtend([]string) int {
	sock := os.Getenv("NOTIFY_SOCKET")
	if n, _ := strconv.Atoi(os.Getenv("BIG")); n > 0 {
		notify.Send(sock, "STATUS="+strings.Repeat("x", n-len("STATUS=")))
	}
	extendFor, _ := time.ParseDuration(os.Getenv("EXTEND_FOR"))
	extend := func() {
		for end := time.Now().Add(extendFor); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
			notify.Send(sock, "EXTEND_TIMEOUT_USEC=2000000")
		}
	}
	if os.Getenv("ON_TERM") == "" {
		extend()
		note("ready %d", os.Getpid())
		notify.Send(sock, "READY=1")
		select {}
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	notify.Send(sock, "READY=1")
	<-term
	note("term %d", os.Getpid())
	extend()
	return 0
}

// TestExtendTimeoutAtStart: a daemon that asks for more time with
// EXTEND_TIMEOUT_USEC= is not killed at --ready-timeout, and is started
// once it says READY=1.
func TestExtendTimeoutAtStart(t *testing.T) {
	f := newFixture(t, "extend")
	f.def.Ready = "notify"
	f.def.ReadyTimeout = time.Second
	f.def.BaseEnv = append(f.def.BaseEnv, "EXTEND_FOR=2500ms")
	start := time.Now()
	s := f.start(false)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatalf("not started: %v", err)
	}
	if took := time.Since(start); took < 2500*time.Millisecond {
		t.Errorf("ready after %v, before it said so", took)
	}
	if r := s.Record(); !r.Ready || r.Restarts != 0 || r.Main() != f.notedPIDs("ready", 1)[0] {
		t.Errorf("record %+v", r)
	}
}

// TestExtendTimeoutAtStop: a daemon that asks for more time after SIGTERM
// is not killed at the end of the stop schedule's step: it finishes and
// exits 0.
func TestExtendTimeoutAtStop(t *testing.T) {
	f := newFixture(t, "extend")
	f.def.Ready = "notify"
	f.def.StopSchedule = "TERM/1s/KILL/2s"
	f.def.BaseEnv = append(f.def.BaseEnv, "EXTEND_FOR=2s", "ON_TERM=1")
	s := f.start(false)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	how, err := s.Stop(stopCtx(t))
	if err != nil || how != "exited with status 0" {
		b, _ := os.ReadFile(f.dir.EventLog())
		t.Fatalf("Stop: %q, %v; events:\n%s", how, err, b)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("stopped after %v, before the daemon was done", took)
	}
}

// TestOversizedNotifyIsAnEvent: a datagram larger than sd_notify's limit
// is dropped, and the event log says so, with its sender and size.
func TestOversizedNotifyIsAnEvent(t *testing.T) {
	f := newFixture(t, "extend")
	f.def.Ready = "notify"
	f.def.BaseEnv = append(f.def.BaseEnv, "BIG=5000")
	s := f.start(false)
	if err := s.WaitReady(stopCtx(t)); err != nil {
		t.Fatal(err)
	}
	pid := f.notedPIDs("ready", 1)[0].PID
	testexec.WaitFor(t, 10*time.Second, "the dropped message in events.log", func() bool {
		b, _ := os.ReadFile(f.dir.EventLog())
		return strings.Contains(string(b), fmt.Sprintf(`"msg":"notify: dropped a message","pid":%d,"sender":"the daemon's","bytes":5000`, pid))
	})
}
