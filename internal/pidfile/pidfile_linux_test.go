package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNotRegular: a FIFO in a pidfile's place is refused at once by every
// function, none of which blocks on it (issue 25.7).
func TestNotRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sup.pid")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path, 0o644); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Lock: %v", err)
	}
	if _, err := Read(path); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Read: %v", err)
	}
	if _, _, err := Locked(path); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Locked: %v", err)
	}
	if _, _, err := Holder(path); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Holder: %v", err)
	}
}

// TestHolderBelievesNoContent: the holder of a lock is a process that has
// the file open, never merely the pid written in it (issue 25.7).
func TestHolderBelievesNoContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sup.pid")
	pf, err := Lock(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	self := os.Getpid()
	pf.Write(self)
	if held, pid, err := Holder(path); !held || pid != self || err != nil {
		t.Errorf("Holder, own pid written: %v %d %v", held, pid, err)
	}
	for _, content := range []string{"garbage\n", "1\n"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil { // in place: the lock stays
			t.Fatal(err)
		}
		if held, pid, err := Holder(path); !held || pid != 0 || err != nil {
			t.Errorf("Holder, %q written: %v %d %v; expected held by an unknown process", content, held, pid, err)
		}
		if held, pid, err := Holder(path, 1, self); !held || pid != self || err != nil {
			t.Errorf("Holder, %q written, told of pids 1 and %d: %v %d %v", content, self, held, pid, err)
		}
	}
	pf.Remove()
	if held, pid, err := Holder(path, self); held || pid != 0 || err != nil {
		t.Errorf("Holder after Remove: %v %d %v", held, pid, err)
	}
}
