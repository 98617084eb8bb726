package supervisor

import (
	"os"
	"path/filepath"
	"syscall"
)

// syncDurably fsyncs the file at path and its directory, making a record
// written with state.WriteVolatileJSON as durable as state.WriteJSON would
// have, off the path that the user waits on. Errors are ignored: the record
// is already in place for every reader; only a crash of the machine in the
// next moments could lose it.
func syncDurably(path string) {
	if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0); err == nil {
		f.Sync()
		f.Close()
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
