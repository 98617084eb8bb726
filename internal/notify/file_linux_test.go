package notify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFromFileReceives: a server made again from a kept copy of the
// socket receives what was sent meanwhile, and drops oversized datagrams
// as Listen's does.
func TestFromFileReceives(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	first, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	f, err := first.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, m := range []string{"READY=1", "STATUS=" + strings.Repeat("x", MaxMessage)} {
		if err := Send(path, m); err != nil {
			t.Fatal(err)
		}
	}
	again, err := FromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if d := receive(t, again); !d.Ready || d.PID != os.Getpid() {
		t.Errorf("got %+v, want READY=1 from pid %d", d, os.Getpid())
	}
	var dropped *DroppedError
	if _, err := again.Receive(); !errors.As(err, &dropped) || dropped.Size != MaxMessage+len("STATUS=") {
		t.Errorf("an oversized datagram: %v", err)
	}
}
