package proc

import (
	"os/exec"
	"testing"
	"time"
)

// TestExitingNeverSettled: a command that ends at once is never taken for
// one that has settled, nor for one /proc cannot tell about, however
// early it is looked at: its threads vanish while they are read (the
// start watch took such a crash for a settled start).
func TestExitingNeverSettled(t *testing.T) {
	for i := range 500 {
		cmd := exec.Command("sh", "-c", "exit 3")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		reaped := make(chan struct{})
		go func() { cmd.Wait(); close(reaped) }() // reaped as soon as it ends, as a supervisor does
		yes, known := Settled(cmd.Process.Pid, time.Millisecond, 0.05)
		<-reaped
		if yes || !known {
			t.Fatalf("try %d: Settled of a command that exits at once = %v, known %v; want not settled, known", i, yes, known)
		}
	}
	// And a sleeping one has settled.
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if yes, known := Settled(cmd.Process.Pid, 3*time.Millisecond, 0.05); yes && known {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sleep 30 never settled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
