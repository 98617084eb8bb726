package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDaemonStdioBlocking: the keeper forks the daemons with descriptors
// the host made in Go, which keeps them non-blocking for its poller; the
// daemon must get them blocking, as any program expects its stdout (one
// that writes faster than the log takes would fail with EAGAIN).
func TestDaemonStdioBlocking(t *testing.T) {
	e := newEnv(t)
	pid := e.mustStart("io", "sleep")
	for fd := 0; fd <= 2; fd++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, _ := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				if flags&unix.O_NONBLOCK != 0 {
					t.Errorf("the daemon's descriptor %d is non-blocking (flags %o)", fd, flags)
				}
			}
		}
	}
}
