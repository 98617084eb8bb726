package notify

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Message
	}{
		{"READY=1", Message{Ready: true}},
		{"READY=1\nSTATUS=serving 3 clients\nMAINPID=42\n", Message{Ready: true, Status: "serving 3 clients", HasStatus: true, MainPID: 42}},
		{"STATUS=", Message{HasStatus: true}},
		{"RELOADING=1\nMONOTONIC_USEC=123", Message{Reloading: true, Ignored: 1}},
		{"STOPPING=1", Message{Stopping: true}},
		{"ERRNO=2", Message{Errno: 2, HasErrno: true}},
		{"ERRNO=0", Message{HasErrno: true}},
		{"ERRNO=-1\nMAINPID=0\nMAINPID=x", Message{Ignored: 3}},
		{"WATCHDOG=1", Message{Watchdog: true}},
		{"WATCHDOG=trigger", Message{WatchdogTrigger: true}},
		{"WATCHDOG_USEC=5000000", Message{WatchdogUSec: 5000000}},
		{"EXTEND_TIMEOUT_USEC=2500000\nEXTEND_TIMEOUT_USEC=0\nEXTEND_TIMEOUT_USEC=x", Message{ExtendTimeoutUSec: 2500000, Ignored: 2}},
		{"READY=0\nREADY\n=1\nX_CUSTOM=1\n\n\n", Message{Ignored: 4}},
		{"STATUS=a=b", Message{Status: "a=b", HasStatus: true}},
		{"STATUS=\xff", Message{Status: "\uFFFD", HasStatus: true}},
	} {
		got, err := Parse([]byte(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if _, err := Parse([]byte(strings.Repeat("x", MaxMessage+1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized message: %v", err)
	}
}

// FuzzParse checks that no input makes Parse panic, that it refuses only
// oversized input, and that what it returns is sane.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"READY=1", "STATUS=x\nMAINPID=1\n", "WATCHDOG=trigger", "=\n=", "ERRNO=99999999999999999999", "\x00=\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if (err != nil) != (len(b) > MaxMessage) {
			t.Fatalf("Parse(%d bytes): %v", len(b), err)
		}
		if m.MainPID < 0 || m.Errno < 0 || !utf8.ValidString(m.Status) || strings.Contains(m.Status, "\n") {
			t.Fatalf("Parse(%q) = %+v", b, m)
		}
	})
}
