//go:build !linux

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// dupTo makes descriptor fd a copy of f (not closed on exec).
func dupTo(f *os.File, fd int) error { return unix.Dup2(int(f.Fd()), fd) }

// rawOutput turns off the terminal's output processing (OPOST: "\n"
// written as "\r\n"), so that the log gets the lines as written.
func rawOutput(tty *os.File) error {
	t, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TIOCGETA)
	if err != nil {
		return err
	}
	t.Oflag &^= unix.OPOST
	return unix.IoctlSetTermios(int(tty.Fd()), unix.TIOCSETA, t)
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TIOCGETA)
	return err == nil
}
