package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// dupTo makes descriptor fd a copy of f (not closed on exec).
func dupTo(f *os.File, fd int) error { return unix.Dup3(int(f.Fd()), fd, 0) }

// rawOutput turns off the terminal's output processing (OPOST: "\n"
// written as "\r\n"), so that the log gets the lines as written.
func rawOutput(tty *os.File) error {
	t, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Oflag &^= unix.OPOST
	return unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, t)
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
