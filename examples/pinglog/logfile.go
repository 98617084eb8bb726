package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// logFile is where the lines go: a file opened once and reopened on request,
// or stdout.
type logFile struct {
	path string   // "" for stdout
	f    *os.File // the open file, or os.Stdout
	// stdio says to point descriptors 1 and 2 at the file after each
	// reopen. A detached daemon's stdout and stderr are the log (opened by
	// the launcher); without this they would keep the renamed file open
	// for ever, and a panic would land in last week's log.
	stdio bool
}

// openLog opens path for appending: created with mode 0640 (before the
// umask), never truncated, never through a symlink. An empty path means
// stdout.
func openLog(path string, stdio bool) (*logFile, error) {
	if path == "" {
		return &logFile{f: os.Stdout}, nil
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f, stdio: stdio}, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NOCTTY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err) // *PathError: names the path
	}
	return f, nil
}

// WriteLine appends line and a newline in a single write, so that a line is
// never split between two files or interleaved with another writer's.
func (l *logFile) WriteLine(line string) error {
	_, err := l.f.WriteString(line + "\n")
	return err
}

// Reopen opens the file at the path again, for after logrotate has renamed
// it, and closes the old one. On error the old file stays in use. Stdout is
// not reopened.
func (l *logFile) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := openAppend(l.path)
	if err != nil {
		return err
	}
	if l.stdio {
		if err := redirectStdio(f); err != nil {
			f.Close()
			return fmt.Errorf("reopen log %s: %w", l.path, err)
		}
	}
	l.f.Close()
	l.f = f
	return nil
}

// Close closes the file (not stdout).
func (l *logFile) Close() error {
	if l.path == "" {
		return nil
	}
	return l.f.Close()
}

// redirectStdio makes descriptors 1 and 2 refer to f.
func redirectStdio(f *os.File) error {
	for _, fd := range []int{1, 2} {
		if err := unix.Dup2(int(f.Fd()), fd); err != nil {
			return err
		}
	}
	return nil
}
