package definition

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestRlimit checks that a parsed limit reaches setrlimit(2) as this
// system spells it: numbers as they are, "unlimited" as RLIM_INFINITY
// (which is not 2^64-1 on the BSDs and macOS, and an int64 on FreeBSD).
func TestRlimit(t *testing.T) {
	limits, err := ParseLimits([]string{"nofile=1024:unlimited,core=0"})
	if err != nil {
		t.Fatal(err)
	}
	inf := uint64(unix.RLIM_INFINITY)
	for _, tt := range []struct {
		l         Limit
		cur, hard uint64
	}{
		{limits[0], 1024, inf},
		{limits[1], 0, 0},
		{Limit{Name: "data", Soft: Unlimited, Hard: Unlimited}, inf, inf},
	} {
		r := tt.l.Rlimit()
		if uint64(r.Cur) != tt.cur || uint64(r.Max) != tt.hard {
			t.Errorf("%s: Rlimit() = %d:%d, want %d:%d", tt.l, uint64(r.Cur), uint64(r.Max), tt.cur, tt.hard)
		}
	}
}
