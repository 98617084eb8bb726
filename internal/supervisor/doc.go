// Package supervisor runs one daemon: every process its command starts,
// from start to stop, restarted by policy, with its output captured, its
// readiness and health watched, and its state written to its folder for
// anyone to read.
//
// # A daemon is a set of processes
//
// An incarnation of the daemon is one run of its command: the process
// tend starts (the main process) and every process that descends from it,
// however it forks or calls setsid. Where cgroup v2 is writable (root, or
// a delegated subtree) each incarnation is born in a cgroup of its own
// (internal/cgroup), which holds every descendant and outlives the
// supervisor; elsewhere the supervisor, a child subreaper, counts its own
// descendants: a process whose parent dies comes back to it. The
// incarnation is up while any of its processes runs, and the stop schedule
// reaches all of them, with SIGCONT after each signal so that stopped
// processes act on it.
//
// When the main process exits 0 leaving others, the program has
// daemonized itself (nginx, a classic double fork): the supervisor follows
// it as systemd's Type=forking does, adopting as main process the one that
// --pidfile names (once it names one of the incarnation's processes), or
// without --pidfile the only process left whose parent is not one of them.
// When there are several, none is main, and signals go to all. When the
// main process fails leaving others, they are stopped before the restart
// policy decides.
//
// Where the processes are (the cgroup, or TEND_INVOCATION_ID, a value every
// process of the daemon gets in its environment) is written to the status
// record before the first of them starts, so that a supervisor killed at
// any moment leaves nothing that a later tend cannot find (see
// status.Record.Processes).
//
// # One loop, one table
//
// The supervisor's state belongs to one goroutine, its loop. Everything
// else sends it messages through an inbox that never blocks: the reaper
// (exits), the cgroup watch, timers, the readiness and health watchers,
// the notify socket, the control socket, signals, the folder watch. The
// loop feeds the machine (machine.go) one event at a time; the machine does
// no I/O and reads no clock, and answers with effects (start an
// incarnation, send a signal, reply, log, finish) that the loop carries
// out. Tests drive the machine with events and a fake clock, without
// processes, cell by cell.
//
// The machine is a table of states x events, in the manner of
// s6-supervise. A cell names a small action; "-" means the event is
// ignored in that state. Events about an incarnation that is no longer the
// current one are dropped before the table is consulted; during a reload,
// those about the new incarnation starting beside the current one, and
// about the old ones being stopped, go to small handlers of their own
// (reload.go).
//
//	           start stop     restart     spawned spawnFail mainExit  empty     ready      notReady      fault ping        health timer       adopted reload      resume  extend
//	down       first notRun   refuse      -       -         -         -         -          -             -     -           -      -           -       refuse      resumed -
//	starting   -     stop     restart     spawned spawnFail mainExit  ended     ready      notReady      -     setWatchdog -      -           adopted restart     -       extend
//	up         -     stop     restart     -       -         mainExit  ended     readyAgain notReadyAgain fault ping        health -           adopted reload      -       extend
//	backoff    -     stopIdle restartNow  -       -         -         -         -          -             -     -           -      backoffOver -       restartNow  -       -
//	stopping   -     joinStop refuse      -       -         stopMain  stopped   -          -             -     -           -      nextStep    -       refuse      -       extend
//	restarting -     stop     joinRestart -       -         restMain  restarted -          -             -     -           -      nextStep    -       joinRestart -       extend
//	reloading  -     stopRel  joinReload  -       -         oldEnded  oldEnded  -          -             -     ping        -      -           adopted joinReload  -       extend
//	ending     -     stop     restart     -       -         endedMain ended     -          -             -     -           -      nextStep    -       restart     -       extend
//	failed     -     notRun   refuse      -       -         -         -         -          -             -     -           -      -           -       refuse      -       -
//	exited     -     notRun   refuse      -       -         -         -         -          -             -     -           -      -           -       refuse      -       -
//
// Tasks (one-shots and schedules, tasks.go) use the same table: a
// one-shot is not ready until it has completed, and ends exited (shown
// as "completed") or failed; a schedule waits between runs in backoff
// (shown as "scheduled"), its next run the deadline.
//
// The states, as status shows them: down is "stopped", up is "running",
// backoff is "backing-off", ending (the main process failed and the stop
// schedule ends what it left) is "stopping". Down, failed and exited are
// final: nothing runs, and the supervisor ends.
//
// The actions: first, backoffOver, restartNow and restarted start a new
// incarnation (spawned records its main process and, with --ready exec,
// makes it ready at once; spawnFail fails the daemon at its first start and
// goes to the policy after). mainExit ends the incarnation when nothing is
// left, adopts a new main process after an exit 0, or stops the rest after
// a failure. ended applies the restart policy with backoff and the start
// limit: backoff, a new incarnation at once, exited, or failed; the first
// incarnation, ended before it was ready, fails the start instead (tend
// start says so, and its exit stays the last). stop,
// restart and fault (watchdog, health, WATCHDOG=trigger) run the stop
// schedule, a signal and a deadline per step, nextStep escalating, and end
// in down, in a new incarnation, or (processes that survive every step)
// in failed. notReady fails the first start, and restarts a later
// incarnation. ping pushes the watchdog back; a ping may bring the
// incarnation's own interval (WATCHDOG_USEC=), which setWatchdog keeps
// before it is ready; the next incarnation starts from --watchdog again.
// extend (EXTEND_TIMEOUT_USEC=) pushes every timeout that runs, the ready
// timeout, a stop step's or the watchdog, to at least that long from now,
// as systemd does; the daemon must ask again to be given more.
// reload starts a new incarnation beside the ready one (or, with
// --reload-signal, signals it, and readyAgain or notReadyAgain answer);
// the old one retires once the new one is ready, or serves on if it
// fails; stopRel stops both, and oldEnded lets the new one take the
// place of an old one that ended first. resumed takes over, in a new
// host, the incarnation that a host before it started (or schedules the
// next start when none runs).
//
// # One reaper
//
// A supervisor that is a child subreaper inherits the orphans of its
// children, and each becomes a zombie until someone waits for it. Waiting
// for the main process alone (os.Process.Wait, exec.Cmd.Wait) would leave
// those zombies; waiting for any child (wait4(-1)) alongside it would race
// it, each stealing the other's exit. So the package has exactly one
// reaper for the whole program: a goroutine woken by SIGCHLD that calls
// wait4(-1, WNOHANG) until nothing is left and hands every exit to the
// supervisors, which tell their own apart. Short commands (exec probes)
// are registered with it and get their own exits. A program that uses the
// package must not wait for children anywhere else: os/exec's Cmd.Wait,
// Cmd.Run and Cmd.Output, and os.Process.Wait would find their child
// already reaped and fail with ECHILD.
//
// Without cgroups, several supervisors in one program cannot tell their
// orphans apart: every child of the program that is not another
// supervisor's main process counts as each one's. tend runs one
// supervisor per process.
//
// # No polling
//
// An idle supervisor holds no timer and wakes for nothing: it acts on an
// exit, a deadline of the machine, or a message. The exception is the
// search of a --pidfile, read every 10 ms between the exit of the main
// process and the adoption of the new one.
package supervisor
