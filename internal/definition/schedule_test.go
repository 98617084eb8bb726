package definition

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	s := time.Second
	tests := []struct {
		in   string
		want Schedule
	}{
		{"TERM/10/KILL/5", Schedule{{syscall.SIGTERM, 10 * s}, {syscall.SIGKILL, 5 * s}}},
		{"10", Schedule{{syscall.SIGTERM, 10 * s}, {syscall.SIGKILL, 10 * s}}},
		{"2.5", Schedule{{syscall.SIGTERM, 2500 * time.Millisecond}, {syscall.SIGKILL, 2500 * time.Millisecond}}},
		{"INT/5s/TERM/2.5/KILL/5", Schedule{{syscall.SIGINT, 5 * s}, {syscall.SIGTERM, 2500 * time.Millisecond}, {syscall.SIGKILL, 5 * s}}},
		{"sighup/0/15/1m30s/9/100ms", Schedule{{syscall.SIGHUP, 0}, {syscall.SIGTERM, 90 * s}, {syscall.SIGKILL, 100 * time.Millisecond}}},
		{"USR1/.5", Schedule{{syscall.SIGUSR1, 500 * time.Millisecond}}},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSchedule(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, mention string }{
		{"", "empty timeout"},
		{"TERM", "TERM"},
		{"TERM/10/KILL", `"KILL" has no timeout`},
		{"TERM/-1", "-1"},
		{"TERM/-1s", "negative"},
		{"NOPE/10", "NOPE"},
		{"TERM/ten", "ten"},
		{"TERM/1e3", "1e3"},
		{"TERM/1..2", "1..2"},
		{"TERM//KILL/5", "empty timeout"},
		{"/10", "empty signal"},
		{"10/", "empty timeout"},
		{"99999999999999999999", "out of range"},
		{"forever", "forever"},
	}
	for _, tt := range bad {
		_, err := ParseSchedule(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseSchedule(%q) error = %v, want one mentioning %q", tt.in, err, tt.mention)
		}
	}
}

func TestScheduleString(t *testing.T) {
	if got := DefaultSchedule().String(); got != "TERM/10s/KILL/5s" {
		t.Errorf("DefaultSchedule().String() = %q", got)
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"TERM/10/KILL/5", "10", "INT/5s/TERM/2.5/KILL/5", "HUP/0", "1.5", "RTMIN+1/1ms", "/", "TERM/1e9h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sched, err := ParseSchedule(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "schedule ") {
				t.Fatalf("ParseSchedule(%q) error %q lacks the prefix", s, err)
			}
			return
		}
		if len(sched) == 0 {
			t.Fatalf("ParseSchedule(%q) returned an empty schedule", s)
		}
		for _, st := range sched {
			if st.Wait < 0 || st.Signal <= 0 {
				t.Fatalf("ParseSchedule(%q) = %v: bad step", s, sched)
			}
		}
		again, err := ParseSchedule(sched.String())
		if err != nil || !slices.Equal(again, sched) {
			t.Fatalf("round trip of %q via %q = %v, %v", s, sched.String(), again, err)
		}
	})
}
