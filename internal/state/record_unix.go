//go:build unix

package state

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// MaxRecordSize bounds the files [ReadJSON] accepts. Records are small;
// anything larger is damage, not data.
const MaxRecordSize = 1 << 20

// ErrCorrupt is wrapped by [ReadJSON] errors for a record that exists but
// cannot be trusted: empty, truncated, not JSON, too large, or not a
// regular file.
var ErrCorrupt = errors.New("state: corrupt record")

// WriteJSON atomically replaces the file at path with the JSON encoding of
// v, so readers see the old record or the new one, never a mix. It writes
// a temporary file in the same directory (created with O_CREAT|O_EXCL|
// O_NOFOLLOW, so it cannot be a planted link), sets its mode to exactly
// perm, fsyncs it, renames it over path, and fsyncs the directory so the
// rename survives a crash. rename(2) replaces a symbolic link at path
// instead of following it. On error the temporary file is removed and
// path is untouched.
func WriteJSON(path string, v any, perm os.FileMode) error {
	return writeJSON(path, v, perm, true)
}

// WriteVolatileJSON is WriteJSON without the fsyncs: just as atomic for
// readers, but a crash of the machine may lose the last write. It is for
// records of live processes (a daemon's status), which a reboot makes moot
// anyway, and which are rewritten on every transition, where two fsyncs
// would cost milliseconds each.
func WriteVolatileJSON(path string, v any, perm os.FileMode) error {
	return writeJSON(path, v, perm, false)
}

func writeJSON(path string, v any, perm os.FileMode, durable bool) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	data = append(data, '\n')
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, tmp, err := createTemp(dir, base, perm)
	if err != nil {
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	err = writeFile(f, data, perm, durable)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	if !durable {
		return nil
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	return nil
}

// createTemp creates a fresh ".BASE.tmp-RANDOM" file in dir. The dot keeps
// leftovers of a crash out of [Store.List] and out of casual ls output.
func createTemp(dir, base string, perm os.FileMode) (*os.File, string, error) {
	for range 10 {
		tmp := filepath.Join(dir, "."+base+".tmp-"+rand.Text()[:12])
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_NOCTTY|syscall.O_CLOEXEC, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, tmp, err
	}
	return nil, "", fmt.Errorf("cannot create a temporary file in %s", dir)
}

// writeFile writes data to f, fixes its mode (the umask may have removed
// bits from perm), fsyncs it when durable, and closes it.
func writeFile(f *os.File, data []byte, perm os.FileMode, durable bool) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadJSON decodes the record at path into v. The file is opened with
// O_NOFOLLOW and O_NONBLOCK, so neither a planted symbolic link nor a FIFO
// can redirect or block the read.
//
// A missing file yields an error wrapping [fs.ErrNotExist]. A file that
// another user owns, or that group or others may write, yields an error
// wrapping [ErrForeign]: its content is not believed. A file that is
// a symbolic link or not a regular file, is empty, larger than
// [MaxRecordSize], or not one valid JSON value of v's shape yields an error
// wrapping [ErrCorrupt] (and the decoding error, for errors.As) that names
// the file and says how to recover. Other I/O errors are wrapped as they are.
func ReadJSON(path string, v any) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return corrupt(path, "is a symbolic link, which tend does not follow")
	}
	if err != nil {
		return fmt.Errorf("state: read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("state: read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return corrupt(path, "is not a regular file")
	}
	if st, _ := fi.Sys().(*syscall.Stat_t); st == nil || !private(fi.Mode(), st.Uid, false) {
		uid := uint32(0)
		if st != nil {
			uid = st.Uid
		}
		return foreign(path, "record", uid, fi.Mode())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	switch {
	case err != nil:
		return fmt.Errorf("state: read %s: %w", path, err)
	case len(data) == 0:
		return corrupt(path, "is empty")
	case len(data) > MaxRecordSize:
		return corrupt(path, fmt.Sprintf("is larger than %d bytes", MaxRecordSize))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s does not hold a valid record (%w); "+
			"remove it: tend rewrites it when the daemon next starts", ErrCorrupt, path, err)
	}
	return nil
}

func corrupt(path, why string) error {
	return fmt.Errorf("%w: %s %s; remove it: tend rewrites it when the daemon next starts",
		ErrCorrupt, path, why)
}
