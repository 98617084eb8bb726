// Command pinglog checks every few seconds that a host answers, and appends
// one line per check to a log file. It is the example daemon built on
// [github.com/tendhq/tend/daemon].
//
// It is our version of the example that ends a classic article on writing
// Unix daemons: a loop that every 3 seconds pings a host and appends "start
// time" and "end of time" lines to a log. That version leaks and cannot be
// managed; this one fixes, one by one, what it got wrong:
//
//   - The log file is opened once, not once per loop iteration and never
//     closed. Each line is written with a single write(2) on an O_APPEND
//     descriptor, so a line is never split or interleaved.
//   - At most one probe is in flight. A probe never outlasts its interval:
//     one that gets no answer in time is logged as "timeout", and ticks that
//     came due meanwhile are skipped (and said to be) instead of queued. No
//     external ping process, no thread per probe, one ICMP socket for the
//     daemon's whole life.
//   - The daemon detaches properly (see the daemon package): stdin on
//     /dev/null, stdout and stderr on the log, cwd "/", umask 022 (not 0), a
//     new session without a controlling terminal.
//   - A locked pidfile, so a second instance is refused with the running
//     pid, and the daemon can be stopped with kill $(cat pinglog.pid)
//     instead of killall.
//   - SIGTERM and SIGINT stop it cleanly: a last line, the pidfile removed,
//     exit status 0.
//   - SIGHUP reopens the log, so logrotate can rename it.
//   - Startup errors (an unwritable log, an unknown host, a pidfile held by
//     another instance) are printed on the terminal that started it, which
//     exits non-zero, instead of being lost after the fork.
//
// Usage:
//
//	pinglog [-target HOST] [-interval 3s] [-timeout D] [-log FILE] [-pidfile FILE]
//	        [-method auto|icmp|tcp] [-port 80] [-count N] [-foreground]
//
// Run pinglog -h for the details, and see README.md for the log format.
package main
