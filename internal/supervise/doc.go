// Package supervise runs one child command and keeps it running: each
// incarnation in its own process group, restarted by policy with exponential
// backoff, given up on after too many starts, and stopped by a signal
// schedule that reaches every process the child left behind.
//
// It knows nothing of state directories, sockets or log files. The caller
// passes the child's standard output and error as files (see [Spec]) and
// learns of every change of state through a callback (see [New]).
//
// # One reaper
//
// A supervisor that is a child subreaper (see proc.SetChildSubreaper)
// inherits the orphans of its children: a daemon that double-forks leaves
// its real worker as our child, and each such child becomes a zombie until
// someone waits for it. Waiting for the main child alone (os.Process.Wait,
// exec.Cmd.Wait) would leave those zombies; waiting for any child
// (wait4(-1)) alongside it would race it, each stealing the other's exit.
// So the package has exactly one reaper for the whole program: a goroutine
// woken by SIGCHLD (through os/signal) that calls wait4(-1, WNOHANG) until
// nothing is left, hands each main child's exit to its Process, and quietly
// discards the rest. Children are started with os.StartProcess, which
// reports exec failures synchronously, and the os.Process is released at
// once.
//
// Consequently, a program that uses supervise must not wait for children
// anywhere else: os/exec's Cmd.Wait, Cmd.Run and Cmd.Output, and
// os.Process.Wait would find their child already reaped, and fail with
// ECHILD.
//
// # No polling
//
// An idle Process holds no goroutine and spends no CPU: it acts only on the
// reaper's report of an exit, on a backoff timer, or on a call. The only polling
// happens during Stop, every 20 ms until the schedule's deadline, and only
// for descendants that were reparented to init instead of to the supervisor
// (their deaths raise no SIGCHLD here).
//
// # Stopping
//
// Stop runs a [Schedule]: send a signal to the child's process group (and
// to the child and every known descendant by proc.Identity, so that those
// which called setsid or setpgid are reached too), wait for them all to
// vanish, escalate. Descendants are recorded while the tree is intact, so
// they stay reachable after their parent dies. With the supervisor a child
// subreaper, orphans that were reparented before Stop was called are found
// as its own children.
package supervise
