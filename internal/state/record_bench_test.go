package state

import (
	"path/filepath"
	"testing"
	"time"
)

// benchRecord has the size and shape of a daemon's status record.
type benchRecord struct {
	Name       string
	Command    []string
	State      string
	PID        int
	StartTime  uint64
	Restarts   int
	Supervisor struct {
		PID       int
		StartTime uint64
	}
	Log       string
	UpdatedAt time.Time
}

func newBenchRecord() *benchRecord {
	r := &benchRecord{Name: "web", Command: []string{"/srv/web/server", "--port", "8080", "--verbose"},
		State: "running", PID: 4242, StartTime: 123456789, Log: "/var/lib/tend/web/output.log", UpdatedAt: time.Now()}
	r.Supervisor.PID, r.Supervisor.StartTime = 4240, 123456700
	return r
}

// BenchmarkWriteJSON measures a durable record write (definition.json):
// temporary file, fsync, rename, fsync of the directory. Most of it is the
// two fsyncs, so the figure depends on the file system under TMPDIR.
func BenchmarkWriteJSON(b *testing.B) {
	path := filepath.Join(b.TempDir(), "definition.json")
	rec := newBenchRecord()
	for b.Loop() {
		if err := WriteJSON(path, rec, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteVolatileJSON measures the status write a supervisor does on
// every transition: the same atomic replace without the fsyncs.
func BenchmarkWriteVolatileJSON(b *testing.B) {
	path := filepath.Join(b.TempDir(), "status.json")
	rec := newBenchRecord()
	for b.Loop() {
		if err := WriteVolatileJSON(path, rec, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadJSON measures the read that tend status and tend list do
// for each daemon.
func BenchmarkReadJSON(b *testing.B) {
	path := filepath.Join(b.TempDir(), "status.json")
	if err := WriteVolatileJSON(path, newBenchRecord(), 0o600); err != nil {
		b.Fatal(err)
	}
	var rec benchRecord
	for b.Loop() {
		if err := ReadJSON(path, &rec); err != nil {
			b.Fatal(err)
		}
	}
}
