package keeper

import (
	"os"

	"golang.org/x/sys/unix"
)

// memFile returns a file in memory holding data, read from its start.
func memFile(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("tend-keeper", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tend-keeper")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
