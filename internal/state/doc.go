// Package state owns tend's state directory: where it lives ([Home]), how
// daemons are named ([ValidateName]), the per-daemon folder layout ([Dir]),
// and the atomic JSON record files the supervisor and the CLI share
// ([WriteJSON], [ReadJSON]).
//
// # Layout
//
//	$TEND_HOME/              0700, owned by the user (see [Home], [Open])
//	    NAME/                0700, one folder per daemon (see [Store.Create])
//	        lock             held by the running supervisor
//	        supervisor.pid   the supervisor's pid, locked while it runs (Dir.LockSupervisor)
//	        status.json      written atomically by the supervisor
//	        definition.json  how the daemon was started
//	        control.sock     the supervisor's control socket
//	        notify.sock      sd_notify socket handed to the child
//	        output.log       the child's captured output
//	        events.log       supervisor events
//
// # Threat model
//
// The state directory is private to one user. [Open] refuses a root that
// another user could write to, and everything below the root is created
// without following symlinks, so a link planted in a shared location
// (for example /tmp) cannot redirect tend's writes. A folder or record that
// another user owns, or that group or others may write, is believed in
// nothing ([ErrForeign]): a root that was world-writable for a while may
// hold folders another user planted, naming any of the user's processes
// or any command. Nothing here protects
// against a process running as the same user: it could do anything tend can.
//
// # Environment
//
// [Home] reads TEND_HOME, XDG_STATE_HOME and HOME, and nothing else reads the
// environment.
//
// The package needs a Unix system (it relies on openat, mkdirat and
// O_NOFOLLOW); Linux is tested, macOS builds.
package state
