// Package daemon makes a Go program a correct Unix daemon, and tells the
// terminal that started it whether the daemon really came up.
//
// # Use
//
// Call Detach at the top of main, after flag parsing; call Ready once the
// daemon can serve; report startup errors with Fail:
//
//	func main() {
//		flag.Parse()
//		d, err := daemon.Detach(daemon.Config{
//			PIDFile: "/run/mydaemon.pid",
//			LogFile: "/var/log/mydaemon.log",
//		})
//		if err != nil {
//			log.Fatal(err) // could not start: bad config, pidfile taken, ...
//		}
//		defer d.Close() // removes the pidfile
//		ln, err := net.Listen("tcp", "127.0.0.1:8080")
//		if err != nil {
//			d.Fail(err) // printed by the launching terminal, which exits 1
//		}
//		d.Ready() // the launching terminal exits 0 now
//		go http.Serve(ln, nil)
//		<-d.Context().Done() // SIGTERM or SIGINT
//	}
//
// In the launching process Detach does not return on success: it waits for
// the daemon's verdict and exits with it (0 when ready, 1 with the daemon's
// error, its way of dying, or a timeout printed on stderr). In the daemon it
// returns a *Daemon.
//
// # How it detaches
//
// Go cannot fork without exec, so the fork steps of daemon(7) are
// re-executions of the program itself (/proc/self/exe on Linux):
//
//  1. The launcher resolves the user, opens /dev/null and the log file, takes
//     the pidfile's lock, creates the readiness pipe and the stderr relay,
//     marks every other descriptor close-on-exec, and re-executes itself with
//     setsid (stage "session"). It forks from a thread whose signal mask is
//     empty, with every ignored signal caught for that moment (exec resets
//     caught signals to their default action): Go's own fork would hand the
//     launcher's mask and ignored signals, under nohup say, to the daemon
//     and every process it starts.
//  2. The session leader, forking the same way (every descriptor but its
//     layout marked close-on-exec), re-executes itself without setsid and
//     exits, so the daemon is not a session leader and can never acquire a
//     controlling terminal (the second fork).
//     Config.SkipSecondFork omits this stage.
//  3. The final daemon names itself after its program (a process executed as
//     /proc/self/exe would be "exe" to ps -C, pgrep -x and
//     start-stop-daemon --name), sets its umask, writes its pid into the
//     locked pidfile, drops privileges, and Detach returns. Until Ready its
//     stderr is relayed to the launcher (and copied to the log), so even a
//     log.Fatal before Ready is seen on the terminal.
//
// Where a parent cannot clean the signal state so (an ignored signal that
// the Go runtime neither catches nor lets os/signal catch, such as the C
// library's signal 32), the daemon starts as stage "daemon" instead and
// re-executes itself in place from a clean thread first: one more start of
// the program.
//
// Descriptors in every stage: 0 is /dev/null, 1 the log file or /dev/null,
// 2 the stderr relay (the log after Ready), 3 the readiness pipe, then the
// pidfile when there is one, then Config.ExtraFiles. The readiness protocol
// on fd 3 is line-based: "P <pid>", then "R" (ready) or "E <message>".
//
// # When it does not detach
//
// Detach returns at once, without detaching, when Config.Foreground is set,
// when TEND_FOREGROUND is set (and not "0"), under a service manager
// (NOTIFY_SOCKET or INVOCATION_ID set), when handed sockets (LISTEN_PID),
// or as PID 1 of a container. Ready then sends READY=1 and MAINPID to
// NOTIFY_SOCKET when it is set, so one binary is ready-aware under a
// shell, systemd and tend alike. TEND_FOREGROUND=0 makes it detach under
// a service manager all the same, for a systemd unit of Type=forking (see
// ForegroundEnv); a daemon detached so sends READY=1 and its own pid as
// MAINPID when NOTIFY_SOCKET is set.
//
// # Environment
//
// Read: TEND_FOREGROUND, NOTIFY_SOCKET (then unset, so that the daemon's
// children do not notify in its name), INVOCATION_ID. Internal:
// on Linux every stage learns its stage from a memfd, so the daemon's
// /proc/PID/environ is exactly the launcher's environment; elsewhere
// TEND_DAEMON_STAGE carries it, and the final daemon removes it.
//
// # Caveats
//
// Code before Detach runs once per stage: keep it free of side effects.
// A descriptor it opens stays in that stage's process only (the
// launcher and the session leader mark theirs close-on-exec before they
// start the next stage): the daemon holds the ones its own run opened.
// Every stage runs in the launcher's working directory, so relative paths
// in the arguments resolve the same in each; the daemon changes to
// Config.Dir ("/" by default) only as Detach returns, so make paths
// absolute before calling it.
// Readiness needs a cooperating program: call Ready.
package daemon
