package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sync"
	"syscall"

	"github.com/creack/pty"

	"github.com/tendhq/tend/internal/definition"
)

// --tty: a daemon's stdout and stderr are pseudo-terminals, so that its
// program line-buffers its output as it does on a terminal (C stdio,
// Python, Ruby buffer a whole block when writing to a pipe). The
// supervisor runs the command as
//
//	tend tty-exec -- PROGRAM ARG...
//
// which opens two pseudo-terminals, one for stdout and one for stderr
// (so that the log still tells them apart), starts a copier that reads
// their master sides into its own stdout and stderr (the supervisor's
// pipes), puts their terminal sides on descriptors 1 and 2, and executes
// the program in its own place: the daemon's main process is the program,
// and signals reach it. The copier ends when the program and everything
// that shares its output have closed the terminals.

// ttyExecCommand is the hidden command that runs a --tty daemon's program.
const ttyExecCommand = "tty-exec"

// ttyCopyCommand is the hidden command that copies the terminals' output.
const ttyCopyCommand = "tty-copy"

// launchable returns def as the supervisor is to run it: with --tty, its
// command is run by tend tty-exec. The definition stored, and shown, is
// then that one; storedDefinition undoes it.
func launchable(def *definition.Definition) *definition.Definition {
	if !def.TTY || ttyWrapped(def.Command) {
		return def
	}
	self, err := os.Executable()
	if err != nil {
		return def // tty-exec cannot be found: run it on pipes
	}
	d := *def
	d.Command = append([]string{self, ttyExecCommand, "--"}, def.Command...)
	return &d
}

// ttyWrapped reports whether cmd is a command run by tend tty-exec.
func ttyWrapped(cmd []string) bool {
	return len(cmd) > 3 && cmd[1] == ttyExecCommand && cmd[2] == "--"
}

// userCommand is the command the user gave: cmd without tend tty-exec.
func userCommand(cmd []string) []string {
	if ttyWrapped(cmd) {
		return cmd[3:]
	}
	return cmd
}

// storedDefinition is a stored definition as the user gave it.
func storedDefinition(def *definition.Definition) *definition.Definition {
	if !ttyWrapped(def.Command) {
		return def
	}
	d := *def
	d.Command = slices.Clone(userCommand(def.Command))
	d.TTY = true
	return &d
}

func ttyCommand() *command {
	return &command{
		name:    ttyExecCommand,
		usage:   "-- PROGRAM [ARG...]",
		summary: "(internal) run PROGRAM with its output on pseudo-terminals, for --tty",
		run:     runTTYExec,
	}
}

func runTTYExec(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return fail(usageErr("", "tty-exec is tend's own command; use: tend start NAME --tty -- CMD"))
	}
	if err := ttyExec(args); err != nil {
		fmt.Fprintf(os.Stderr, "tend: --tty: %v\n", userMessage(err))
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127
		}
		return 126
	}
	return exitOK // not reached: the program replaced this process
}

func ttyExec(argv []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	outM, outS, err := openTTY()
	if err != nil {
		return fmt.Errorf("open a pseudo-terminal: %w", err)
	}
	errM, errS, err := openTTY()
	if err != nil {
		return fmt.Errorf("open a pseudo-terminal: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	copier := exec.Command(self, ttyCopyCommand)
	copier.Stdout, copier.Stderr = os.Stdout, os.Stderr
	copier.ExtraFiles = []*os.File{outM, errM}
	if err := copier.Start(); err != nil {
		return fmt.Errorf("start the output copier: %w", err)
	}
	outM.Close()
	errM.Close()
	if err := dupTo(outS, 1); err != nil {
		return err
	}
	if err := dupTo(errS, 2); err != nil {
		return err
	}
	outS.Close()
	errS.Close()
	return syscall.Exec(path, argv, os.Environ())
}

// openTTY opens a pseudo-terminal that passes output through unchanged
// (no "\r\n" for "\n"), 80 columns wide.
func openTTY() (master, tty *os.File, err error) {
	master, tty, err = pty.Open()
	if err != nil {
		return nil, nil, err
	}
	pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80})
	if err := rawOutput(tty); err != nil {
		master.Close()
		tty.Close()
		return nil, nil, err
	}
	return master, tty, nil
}

// runTTYCopy copies the master sides, descriptors 3 (stdout) and 4
// (stderr), to stdout and stderr, until the terminals are closed by all.
// It ignores the signals of a stop: the program's end closes the
// terminals, and it must copy to the last line.
func runTTYCopy([]string) int {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	var wg sync.WaitGroup
	for fd, w := range map[uintptr]io.Writer{3: os.Stdout, 4: os.Stderr} {
		r := os.NewFile(fd, "tty")
		wg.Go(func() {
			io.Copy(w, eioReader{r}) // EIO: every writer closed the terminal
			r.Close()
		})
	}
	wg.Wait()
	return exitOK
}

// eioReader reads a pseudo-terminal's master side, where the end of the
// output is EIO rather than EOF.
type eioReader struct{ f *os.File }

func (r eioReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if errors.Is(err, syscall.EIO) {
		err = io.EOF
	}
	return n, err
}

func ttyCopyCommandSpec() *command {
	return &command{
		name:    ttyCopyCommand,
		summary: "(internal) copy the output of a --tty daemon's terminals",
		run:     runTTYCopy,
	}
}
