package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/tendhq/tend/internal/envfile"
)

// MaxFileSize is the largest tend.toml or Procfile Load reads, in bytes.
const MaxFileSize = 1 << 20

// openFlags open a user-named file for reading without blocking on a FIFO
// (O_NONBLOCK), without acquiring a controlling terminal (O_NOCTTY) and
// without passing the descriptor to children (O_CLOEXEC).
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC

// whatToGive ends the errors about a path that cannot be a config file.
const whatToGive = "give a tend.toml or a Procfile"

// readFile reads the config file at path. It never blocks on what path
// names: anything but a regular file (a FIFO, a socket, a device, a
// directory) is refused before it is read, as is a file larger than
// MaxFileSize. Symbolic links are followed: the path is the user's choice.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		// open(2) fails with ENXIO on a socket: say what it is.
		if errors.Is(err, syscall.ENXIO) {
			if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
				return nil, notRegular(path, st.Mode())
			}
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular(path, st.Mode())
	}
	if st.Size() > MaxFileSize {
		return nil, tooLarge(path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize { // it grew since it was checked
		return nil, tooLarge(path)
	}
	return data, nil
}

func notRegular(path string, mode fs.FileMode) error {
	return &Error{File: path, Msg: fmt.Sprintf("is %s, not a regular file: %s", fileKind(mode), whatToGive)}
}

func tooLarge(path string) error {
	return &Error{File: path, Msg: fmt.Sprintf("file is larger than %d bytes (1 MiB), the most tend reads: "+
		"is it the right file?", MaxFileSize)}
}

// fileKind names what a non-regular file is, for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "a special file"
}

// checkEnvFiles reads every env file that exists and refuses the file if
// one cannot be read as an env file, at its daemon's env_file key.
func (f *File) checkEnvFiles(keys map[string]int) error {
	for _, d := range f.Daemons {
		for _, p := range d.Definition.EnvFiles {
			_, err := envfile.ParseFile(p)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				continue
			}
			key := d.Name + ".env_file"
			line := keys[key]
			if line == 0 {
				line = d.Line
			}
			return &Error{File: f.Name, Line: line, Key: key, Msg: strings.TrimPrefix(err.Error(), "envfile: ")}
		}
	}
	return nil
}
