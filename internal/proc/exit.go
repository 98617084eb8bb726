package proc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// exitSignalOffset is what shells add to a signal number to report death by
// that signal as an exit status (sh, bash, tini, containerd).
const exitSignalOffset = 128

// Exit statuses shells use when a command cannot be run.
const (
	// ExitNotExecutable is the status for a program that exists but cannot
	// be executed (EACCES, ENOEXEC).
	ExitNotExecutable = 126
	// ExitNotFound is the status for a program that does not exist.
	ExitNotFound = 127
)

// ExitCode is tend's one exit-code policy: the exit status of a process that
// exited, or 128+N for one killed by signal N (as a shell reports it). It
// returns -1 for a wait status that is not final (stopped or continued).
func ExitCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return exitSignalOffset + int(ws.Signal())
	}
	return -1
}

// DescribeExit describes a final wait status for people: "exited with
// status 3", "killed by signal KILL", "killed by signal SEGV (core dumped)".
func DescribeExit(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		s := "killed by signal " + SignalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	case ws.Stopped():
		return "stopped by signal " + SignalName(ws.StopSignal())
	case ws.Continued():
		return "continued"
	}
	return fmt.Sprintf("unknown wait status %#x", uint32(ws))
}
