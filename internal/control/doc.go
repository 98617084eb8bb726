// Package control carries requests from the tend CLI to a running
// supervisor over the supervisor's control socket, a Unix stream socket in
// the daemon's 0700 folder (state.Dir.Socket).
//
// # Protocol
//
// The client connects, sends one [Request], reads one [Response], and the
// connection ends. Each message is a 4-byte big-endian length followed by
// that many bytes of JSON; the length is 1 to [MaxMessage]. Oversized,
// truncated and malformed messages are rejected with an error wrapping
// [ErrProtocol]; the server answers them with an error Response when it
// can, and keeps serving other connections. Unknown JSON fields are
// ignored so that a newer CLI can talk to an older supervisor.
//
// A request is carried out only for a client still there to hear the
// answer: the server does not run one whose client has closed the
// connection (it gave up while the request waited, say in a stopped
// supervisor's backlog), nor one that came after Request.Deadline. So a
// client keeps its side open until it has read the Response.
//
// The set of operations (Request.Op) belongs to the caller: control only
// carries them.
//
// # Who may talk to whom
//
// Three guards protect a supervisor. The folder holding the socket is 0700;
// the socket itself is chmod 0600 right after bind (for the instant between
// bind and chmod the folder is the only guard, which is why it matters);
// and the server reads the peer's credentials from the kernel (SO_PEERCRED
// on Linux, LOCAL_PEERCRED on macOS) and serves only its own effective uid
// and root. Root is allowed because it can signal or ptrace the
// supervisor anyway, and refusing it would only break "sudo tend stop" on
// a user's daemon. Refused peers get an error Response and are reported
// through [Server.Logf].
//
// [Call] applies the same rule in the other direction: it talks only to a
// server running as the caller's effective uid or as root, so a process of
// another user cannot impersonate a supervisor (for example by winning a
// race for a socket path in a shared directory); see [ErrUntrustedPeer].
//
// On systems other than Linux and macOS peer credentials are not
// implemented, and both sides refuse every connection.
package control
