package proc

import (
	"os"
	"testing"
)

// BenchmarkReadStat measures one read and parse of /proc/PID/stat, which
// Lookup, Alive and every verified signal pay.
func BenchmarkReadStat(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, err := readStat(pid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupMembers measures a scan of every process's stat, which a
// stop pays before its first signal and at every wake-up while it waits.
func BenchmarkGroupMembers(b *testing.B) {
	pgid, err := Self()
	if err != nil {
		b.Fatal(err)
	}
	st, err := readStat(pgid.PID)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := GroupMembers(st.PGID); err != nil {
			b.Fatal(err)
		}
	}
}
