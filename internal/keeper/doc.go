// Package keeper is the part of tend's host that must outlive it: the
// process that forks and reaps every process of every daemon, holds the
// descriptors that must not close when the host dies (the read ends of
// the daemons' output pipes, their sockets, the host's own listening
// socket), and starts the host again when it dies.
//
// # Two processes
//
// tend's host is two processes. The keeper is the parent: small, with no
// logic of its own, a child subreaper, it forks what the host asks it to
// (Spawn), reaps every child and every orphan that comes back to it, and
// reports each exit to the host. The host is its child: every daemon's
// supervisor, the API, the logs. When the host dies (kill -9, a panic, the
// OOM killer), nothing of the daemons notices: their parent is the keeper,
// their pipes' read ends are in the keeper's store, and the keeper starts
// a new host at once, which gets everything back (Hello): the children the
// keeper forked for it, with who they are (their Tag), the exits it did not
// acknowledge, and the stored descriptors.
//
// # The wire
//
// The two talk over a SOCK_SEQPACKET socket pair, the host's end on its
// descriptor 3 ([HostFD]): each message arrives whole, with its
// descriptors (SCM_RIGHTS) beside it. A message is a [Message], gob-encoded
// (gob carries strings as bytes: arguments that are not UTF-8 arrive as
// they were sent); one larger than an inline datagram travels in a memory
// file sent as the message's last descriptor.
//
// Requests of the host: spawn (answered with the pid or the error), store
// and drop (descriptors by key), ack (exits it has recorded), serving (the
// host answers its socket: the keeper reports its start ready), shutdown
// (the host is about to exit for good: so does the keeper). Messages of
// the keeper: the answer to a spawn, exits, and at the host's start the
// hello: children, unacknowledged exits, then one stored message per key.
package keeper
