package logcap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// tempName is where a rotation makes the next file before it becomes the
// path.
func (r *rfile) tempName() string { return r.path + ".next" + tmpSuffix }

// repair finishes or undoes what a process killed while rotating, or
// while its janitor compressed, left behind, so that the log is as if the
// step had not begun or had ended, and prunes the rotated files to
// maxFiles. It runs before the log is opened; errors are ignored: the
// next rotation prunes again.
func (r *rfile) repair() {
	os.Remove(r.tempName())
	r.jan.removeTemps()
	ents, err := listRotated(r.path)
	if err != nil || len(ents) == 0 {
		return
	}
	// Killed between link and rename: the newest rotated name is still
	// the current file. Undo the rotation.
	if last := ents[len(ents)-1]; last.plain {
		st, err1 := os.Lstat(last.stem)
		at, err2 := os.Lstat(r.path)
		if err1 == nil && err2 == nil && os.SameFile(st, at) && os.Remove(last.stem) == nil {
			ents = ents[:len(ents)-1]
		}
	}
	// Killed between renaming a .gz into place and removing its source:
	// the .gz is complete, since it is renamed only once written.
	for i, e := range ents {
		if e.plain && e.gz && os.Remove(e.stem) == nil {
			ents[i].plain = false
		}
	}
	r.prune(ents, 0)
}

// prune deletes the oldest of ents, path's rotated files, so that at most
// maxFiles remain once room more are made, and returns those that
// remain.
func (r *rfile) prune(ents []rotEntry, room int) []rotEntry {
	if r.maxFiles < 0 {
		return ents
	}
	n := len(ents) + room - r.maxFiles
	if n <= 0 {
		return ents
	}
	n = min(n, len(ents))
	for _, e := range ents[:n] {
		r.jan.remove(e)
	}
	return ents[n:]
}

// rotate gives the current file a new rotated name and makes a fresh file
// at the path. It returns the rotated name ("" if nothing was renamed).
// When the path no longer names our file (someone else moved it away),
// rotate is a reopen. If rotating fails, the current file stays open and
// in place.
func (r *rfile) rotate() (string, error) {
	if r.f == nil {
		return "", r.open()
	}
	cur, err1 := r.f.Stat()
	at, err2 := os.Lstat(r.path)
	if err1 != nil || err2 != nil || !os.SameFile(cur, at) {
		r.closeFile()
		return "", r.open()
	}
	ents, err := listRotated(r.path)
	if err != nil {
		return "", fmt.Errorf("logcap: rotate %s: %w", r.path, err)
	}
	name := r.nextName(ents)
	r.prune(ents, 1)
	r.step("rotate-pruned")
	next, err := r.replace(name)
	if err != nil {
		return "", fmt.Errorf("logcap: rotate %s: %w", r.path, err)
	}
	r.closeFile()
	r.f, r.size = next, 0
	r.jan.kick()
	return name, nil
}

// replace makes a new empty file under a temporary name, gives the
// current file (the path) the rotated name, and renames the new file over
// the path. It returns the new file, open for appending. On failure the
// path names the current file again.
func (r *rfile) replace(name string) (*os.File, error) {
	tmp := r.tempName()
	os.Remove(tmp) // left by a failed rotation
	next, err := openAppend(tmp, openFlags|os.O_EXCL, r.perm)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	r.step("rotate-created")
	fail := func(err error) (*os.File, error) {
		next.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Link(r.path, name); err == nil {
		r.step("rotate-linked")
		if err := os.Rename(tmp, r.path); err != nil {
			os.Remove(name)
			return fail(err)
		}
	} else if errors.Is(err, fs.ErrExist) {
		return fail(err)
	} else {
		// No hard links here (some file systems have none): rename, which
		// leaves the path missing until the second rename; a process
		// killed then leaves no file at the path, and the next open
		// creates one.
		if err := os.Rename(r.path, name); err != nil {
			return fail(err)
		}
		r.step("rotate-moved")
		if err := os.Rename(tmp, r.path); err != nil {
			os.Rename(name, r.path)
			return fail(err)
		}
	}
	r.step("rotate-renamed")
	return next, nil
}

// nextName picks a rotated name later than every one in ents, so names
// stay in rotation order even if the clock steps back.
func (r *rfile) nextName(ents []rotEntry) string {
	t := r.now().UTC().Truncate(time.Microsecond)
	if n := len(ents); n > 0 && !t.After(ents[n-1].t) {
		t = ents[n-1].t.Add(time.Microsecond)
	}
	return rotatedName(r.path, t)
}
