package cgroup

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

func TestWatchFiresOnLastExit(t *testing.T) {
	g := newGroup(t)
	c := startIn(t, g, "until-eof")
	w, err := g.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case <-w.C:
		t.Fatal("watch fired before any change")
	default:
	}
	if p, err := g.Populated(); err != nil || !p {
		t.Fatalf("Populated() = %v, %v; want true", p, err)
	}
	c.stdin.Close() // the helper exits 0
	deadline := time.After(10 * time.Second)
	for populated := true; populated; {
		select {
		case <-w.C:
		case <-deadline:
			t.Fatal("no change of cgroup.events reported the exit")
		}
		if populated, err = g.Populated(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
}

func TestWatchParksAndCloses(t *testing.T) {
	g := newGroup(t)
	w, err := g.Watch()
	if err != nil {
		t.Fatal(err)
	}
	// Parked in the runtime's poller, not blocked in read(2) on a thread:
	// that is what lets Close wake it.
	testexec.WaitFor(t, 10*time.Second, "the watch goroutine to park in IO wait", func() bool {
		buf := make([]byte, 1<<20)
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "cgroup.run(") {
				return strings.Contains(g, "[IO wait")
			}
		}
		return false
	})
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock the reading goroutine")
	}
	// Close returns once the reading goroutine has: the watch is over.
}
