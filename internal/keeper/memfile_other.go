//go:build unix && !linux

package keeper

import "os"

// memFile returns an unlinked temporary file holding data.
func memFile(data []byte) (*os.File, error) {
	f, err := os.CreateTemp("", "tend-keeper-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
