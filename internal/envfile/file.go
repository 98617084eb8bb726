package envfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the [*Error] that ParseFile and ReadFile
// return for a path that names something other than a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the [*Error] returned for input larger than
// [MaxSize].
var ErrTooLarge = errors.New("too large")

// openFlags open a user-named file for reading without blocking on a FIFO
// (O_NONBLOCK), without acquiring a controlling terminal: a supervisor
// that is a session leader reads env files, and a terminal named by
// mistake must not become its controlling terminal (O_NOCTTY), and
// without passing the descriptor to children (O_CLOEXEC).
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC

// whatToGive ends the errors about a file that cannot be an env file.
const whatToGive = "give a file of KEY=VALUE lines"

// ParseFile parses the environment file at path; see [Parse]. It never
// blocks on what path names (see "Files" in the package documentation): a
// FIFO, socket, device or directory is refused with an [*Error] wrapping
// [ErrNotRegular], and a file larger than [MaxSize] with one wrapping
// [ErrTooLarge], before anything is read. A missing or unreadable file is
// an error wrapping the *fs.PathError (errors.Is(err, fs.ErrNotExist)
// works).
func ParseFile(path string) ([]string, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// ReadFile returns the contents of the environment file at path, opened
// and checked as [ParseFile] does, without parsing them: for a caller that
// keeps a digest of what the daemon will read.
func ReadFile(path string) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("envfile: read %s: %w", path, err)
	}
	if len(b) > MaxSize { // it grew since it was checked
		return nil, tooLarge(path, "file is")
	}
	return b, nil
}

// open opens path for reading and checks that it is a regular file no
// larger than MaxSize.
func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		// open(2) fails with ENXIO on a socket: say what it is.
		if errors.Is(err, syscall.ENXIO) {
			if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
				return nil, notRegular(path, st.Mode())
			}
		}
		return nil, fmt.Errorf("envfile: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("envfile: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, st.Mode())
	}
	if st.Size() > MaxSize {
		f.Close()
		return nil, tooLarge(path, fmt.Sprintf("is %d bytes,", st.Size()))
	}
	return f, nil
}

func notRegular(path string, mode fs.FileMode) error {
	return &Error{File: path, Err: ErrNotRegular,
		Msg: fmt.Sprintf("is %s, not a regular file: %s", fileKind(mode), whatToGive)}
}

// tooLarge is the error for input over MaxSize; what is "file is" or
// "is N bytes,".
func tooLarge(name, what string) error {
	return &Error{File: name, Err: ErrTooLarge,
		Msg: fmt.Sprintf("%s larger than %d bytes (1 MiB), the most an env file may hold: "+
			"split it, or keep large values in files of their own", what, MaxSize)}
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
