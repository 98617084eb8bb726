//go:build linux

package proc

import (
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func syscallGetpid() int { return syscall.Getpid() }

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
	}{
		{"TERM", syscall.SIGTERM},
		{"SIGTERM", syscall.SIGTERM},
		{"term", syscall.SIGTERM},
		{"SigTerm", syscall.SIGTERM},
		{"15", syscall.SIGTERM},
		{"9", syscall.SIGKILL},
		{"KILL", syscall.SIGKILL},
		{"HUP", syscall.SIGHUP},
		{"usr1", syscall.SIGUSR1},
		{"IOT", syscall.SIGABRT},
		{"CLD", syscall.SIGCHLD},
		{"RTMIN", 34},
		{"SIGRTMIN+2", 36},
		{"rtmax-1", 63},
		{"RTMAX", 64},
		{"64", 64},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "65", "-1", "+15", "TERMX", "SIG", "RTMIN+31", "RTMIN-1", "RTMAX+1", "RTMIN+", " TERM", "1e3", "99999999999999999999"} {
		_, err := ParseSignal(bad)
		if err == nil {
			t.Errorf("ParseSignal(%q) succeeded, want error", bad)
		} else if bad != "" && !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSignal(%q) error %q does not name the input", bad, err)
		}
	}
}

func TestSignalName(t *testing.T) {
	tests := []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGTERM, "TERM"},
		{syscall.SIGKILL, "KILL"},
		{syscall.SIGSEGV, "SEGV"},
		{32, "32"},
		{34, "RTMIN"},
		{36, "RTMIN+2"},
		{49, "RTMIN+15"},
		{50, "RTMAX-14"},
		{64, "RTMAX"},
		{99, "99"},
	}
	for _, tt := range tests {
		if got := SignalName(tt.sig); got != tt.want {
			t.Errorf("SignalName(%d) = %q, want %q", tt.sig, got, tt.want)
		}
	}
	for sig := syscall.Signal(1); sig <= maxSignal; sig++ {
		if got, err := ParseSignal(SignalName(sig)); err != nil || got != sig {
			t.Errorf("ParseSignal(SignalName(%d)) = %v, %v", sig, got, err)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"TERM", "sigkill", "15", "RTMIN+3", "RTMAX-0", "", "0", "SIG", "rtmin+030"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err != nil {
			if s != "" && !strings.Contains(err.Error(), s) && !strings.Contains(err.Error(), strings.Trim(strconv.Quote(s), `"`)) {
				t.Fatalf("ParseSignal(%q) error %q does not name the input", s, err)
			}
			return
		}
		if sig < 1 || sig > maxSignal {
			t.Fatalf("ParseSignal(%q) = %d, out of range", s, sig)
		}
		if back, err := ParseSignal(SignalName(sig)); err != nil || back != sig {
			t.Fatalf("ParseSignal(SignalName(%d)) = %v, %v", sig, back, err)
		}
	})
}

func TestExitCode(t *testing.T) {
	const core = 0x80
	tests := []struct {
		ws   unix.WaitStatus
		code int
		desc string
	}{
		{0, 0, "exited with status 0"},
		{3 << 8, 3, "exited with status 3"},
		{255 << 8, 255, "exited with status 255"},
		{unix.WaitStatus(syscall.SIGKILL), 137, "killed by signal KILL"},
		{unix.WaitStatus(syscall.SIGTERM), 143, "killed by signal TERM"},
		{unix.WaitStatus(syscall.SIGSEGV) | core, 139, "killed by signal SEGV (core dumped)"},
		{0x7f | unix.WaitStatus(syscall.SIGSTOP)<<8, -1, "stopped by signal STOP"},
		{0xffff, -1, "continued"},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.ws); got != tt.code {
			t.Errorf("ExitCode(%#x) = %d, want %d", uint32(tt.ws), got, tt.code)
		}
		if got := DescribeExit(tt.ws); got != tt.desc {
			t.Errorf("DescribeExit(%#x) = %q, want %q", uint32(tt.ws), got, tt.desc)
		}
	}
}
