package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseConfigDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, _ := os.Getwd()
	detached := func(fg bool) bool { return !fg }
	for _, tc := range []struct {
		args          []string
		log, pidfile  string
		interval, out time.Duration
	}{
		{nil, wd + "/pinglog.log", wd + "/pinglog.pid", 3 * time.Second, 3 * time.Second},
		{[]string{"-foreground"}, "", "", 3 * time.Second, 3 * time.Second},
		{[]string{"-foreground", "-log", "x.log"}, wd + "/x.log", "", 3 * time.Second, 3 * time.Second},
		{[]string{"-log", "sub/probe.log", "-interval", "1s", "-timeout", "250ms"}, wd + "/sub/probe.log", wd + "/sub/probe.pid", time.Second, 250 * time.Millisecond},
		{[]string{"-log", "/var/log/p", "-pidfile="}, "/var/log/p", "", 3 * time.Second, 3 * time.Second},
	} {
		c, err := parseConfig(tc.args, io.Discard, detached)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if c.logPath != tc.log || c.pidPath != tc.pidfile || c.interval != tc.interval || c.timeout != tc.out {
			t.Errorf("%q: log %q pidfile %q interval %s timeout %s; want %q %q %s %s",
				tc.args, c.logPath, c.pidPath, c.interval, c.timeout, tc.log, tc.pidfile, tc.interval, tc.out)
		}
		// What the stages parse from "/" must be the same configuration.
		again, err := parseConfig(c.args(), io.Discard, detached)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Errorf("%q: args %q parse back to %+v, %v; want %+v", tc.args, c.args(), again, err, c)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-interval", "1s", "-timeout", "1100ms"},
		{"-interval", "0"},
		{"-method", "udp"},
		{"-port", "0"},
		{"-count", "-1"},
		{"-target", "0.0.0.0"},
		{"-target", "ff02::1"},
		{"-log", "-"},
		{"stray"},
	} {
		if _, err := parseConfig(args, io.Discard, func(fg bool) bool { return !fg }); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestProbeLine(t *testing.T) {
	start := time.Date(2026, 11, 23, 19, 40, 3, 123000, time.UTC)
	for _, tc := range []struct {
		res  Result
		want string
	}{
		{Result{Status: StatusOK, RTT: 333 * time.Microsecond}, "result=ok rtt=0.333ms"},
		{Result{Status: StatusRefused, RTT: 1500 * time.Microsecond}, "result=refused-but-up rtt=1.500ms"},
		{Result{Status: StatusTimeout}, "result=timeout"},
		{Result{Status: StatusError, Err: errors.New(`sendto: "no" route`)}, `result=error error="sendto: \"no\" route"`},
	} {
		l := probeLine{Start: start, End: start.Add(time.Millisecond), Target: "127.0.0.1", Method: "icmp", Seq: 2, Result: tc.res}
		want := "start=2026-11-23T19:40:03.000123Z end=2026-11-23T19:40:03.001123Z target=127.0.0.1 method=icmp seq=2 " + tc.want
		if got := l.String(); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		// The tests' parser reads it back, quoted values and all.
		p := parseProbe(t, l.String())
		if p["result"] != tc.res.Status.String() || p["seq"] != "2" || tc.res.Err != nil && p["error"] != tc.res.Err.Error() {
			t.Errorf("%s parses back as %q", l, p)
		}
	}
}

// TestResultOf: a socket deadline that falls just before ctx's own timer
// (the probe ran late on a busy machine) is a timeout, on the write as
// on the read; cancellation and other errors are what they are.
func TestResultOf(t *testing.T) {
	live, cancelLive := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLive()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	late := &net.OpError{Op: "write", Net: "ip4:icmp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want Status
	}{
		{live, late, StatusTimeout},
		{live, &net.OpError{Op: "read", Net: "ip4:icmp", Err: os.ErrDeadlineExceeded}, StatusTimeout},
		{live, context.DeadlineExceeded, StatusTimeout},
		{cancelled, late, StatusCancelled},
		{live, &net.OpError{Op: "write", Net: "ip4:icmp", Err: syscall.ENETUNREACH}, StatusError},
	} {
		if got := resultOf(tc.ctx, tc.err); got.Status != tc.want {
			t.Errorf("resultOf(%v): %v, want %v", tc.err, got.Status, tc.want)
		}
	}
}

// stallingProber ignores its deadline once, as a process stopped with
// SIGSTOP or a suspended machine would.
type stallingProber struct {
	n     int
	stall time.Duration
}

func (p *stallingProber) Method() string { return "fake" }
func (p *stallingProber) Target() string { return "fake" }
func (p *stallingProber) Close() error   { return nil }
func (p *stallingProber) Probe(ctx context.Context) Result {
	if p.n++; p.n == 2 {
		time.Sleep(p.stall) // the stall under test, not a wait for something
	}
	return Result{Status: StatusOK}
}

// TestMissedTicksAreSkipped checks that ticks that came due while the loop
// was held up are logged as skipped, not probed in a burst.
func TestMissedTicksAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	lf, err := openLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	r := &runner{log: lf, prober: &stallingProber{stall: 55 * time.Millisecond}, interval: 10 * time.Millisecond, timeout: 10 * time.Millisecond, count: 4}
	if why := r.run(context.Background(), nil, nil); why != "count reached" {
		t.Fatalf("run returned %q", why)
	}
	lines := readLines(t, path)
	if checkSeqs(t, probes(t, lines)) != 4 {
		t.Fatalf("want 4 probes; got\n%s", strings.Join(lines, "\n"))
	}
	// The stall is in probe 2, so a skip is logged right after it. (A
	// loaded machine may add skips elsewhere: those are correct too.)
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, " seq=2 ") })
	if i+1 >= len(lines) || !strings.Contains(lines[i+1], "pinglog skipped ") || !strings.Contains(lines[i+1], " missed ticks: ") {
		t.Fatalf("want a skipped-ticks line after probe 2; got\n%s", strings.Join(lines, "\n"))
	}
}
