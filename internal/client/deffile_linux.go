package client

import (
	"encoding/json"
	"os"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/definition"
)

// definitionFile returns def as JSON in an anonymous memory file, read
// from its start: nothing on disk, no size limit, private to whoever holds
// the descriptor.
func definitionFile(def *definition.Definition) (*os.File, error) {
	b, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	fd, err := unix.MemfdCreate("tend-definition", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tend-definition")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
