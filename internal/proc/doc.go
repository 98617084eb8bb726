// Package proc names processes unambiguously and signals them safely.
//
// A pid alone is a weak name: once a process is reaped its pid may be handed
// to an unrelated process, and a later kill(2) hits the wrong target (the
// pidfile race s6 warns about). An [Identity] pairs the pid with the
// process's start time (field 22 of /proc/PID/stat, in clock ticks since
// boot), which two processes holding the same pid can never share.
//
// [Identity.Signal] closes the remaining window between checking and
// signalling: it opens a pidfd first, which pins the process it names, then
// checks the start time, then signals through the pidfd. Where pidfds are
// unavailable (kernels before 5.3) it falls back to a start-time check
// followed by kill(2), which leaves a window of microseconds.
//
// The package also holds the small pieces of process lore the rest of tend
// shares: signal names ([ParseSignal], [SignalName]), the exit-code policy
// ([ExitCode], [DescribeExit]), the child-subreaper switch
// ([SetChildSubreaper]) and the process tree ([Children], [Descendants]).
//
// This is the only package that parses /proc/PID/stat. Linux is the
// supported target; on other systems the functions that need /proc or
// prctl(2) return [ErrUnsupported].
package proc
