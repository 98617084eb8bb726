package proc

import (
	"os"
	"testing"
	"time"
)

// TestCPUTime: the test's own CPU time grows as it burns CPU, and a
// process that does not exist has none.
func TestCPUTime(t *testing.T) {
	before, ok := CPUTime(os.Getpid())
	if !ok {
		t.Fatal("CPUTime of the test itself: not known")
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, _ := CPUTime(os.Getpid())
	if after <= before {
		t.Errorf("CPUTime after 50ms of work: %v, before: %v", after, before)
	}
	if _, ok := CPUTime(1 << 30); ok {
		t.Error("CPUTime of a pid that does not exist: known")
	}
}
