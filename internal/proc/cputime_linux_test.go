package proc

import (
	"os"
	"testing"
	"time"
)

// TestCPUTime: the test's own CPU time grows as it burns CPU, and a
// process that does not exist has none. It burns until the figure moves
// (the kernel counts in clock ticks, and a busy machine may give the test
// little of the CPU), for at most 10 s.
func TestCPUTime(t *testing.T) {
	before, ok := CPUTime(os.Getpid())
	if !ok {
		t.Fatal("CPUTime of the test itself: not known")
	}
	after := before
	for end := time.Now().Add(10 * time.Second); after <= before && time.Now().Before(end); {
		for spin := time.Now().Add(10 * time.Millisecond); time.Now().Before(spin); {
		}
		after, _ = CPUTime(os.Getpid())
	}
	if after <= before {
		t.Errorf("CPUTime after 10 s of work: %v, before: %v", after, before)
	}
	if _, ok := CPUTime(1 << 30); ok {
		t.Error("CPUTime of a pid that does not exist: known")
	}
}
