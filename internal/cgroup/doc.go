// Package cgroup puts each daemon's processes in a cgroup v2 group of their
// own, so that the supervisor can find every one of them and end them all.
//
// A process group or session is a weak net: a daemon that calls setsid(2),
// or double-forks, leaves it, and a supervisor killed with SIGKILL loses
// track of its children's children. A cgroup holds every descendant of a
// process born in it, whatever they do, unless someone with write access to
// the hierarchy moves them out, and it outlives the supervisor: the path of
// the group, written to the status file, lets a later process [Open] it and
// list ([Group.Procs]), signal ([Group.Signal]) or kill ([Group.Kill]) what
// is left.
//
// # Placement
//
// A daemon's groups go under the supervisor's own cgroup v2 group
// ([Parent]). That is what a delegated subtree gives a user who is not root
// (systemd's Delegate=yes, or a user session's user@UID.service), and it
// works for root too: a group with no controller enabled in its
// cgroup.subtree_control may hold processes and child groups at once, so
// the supervisor need not move itself first. The group is usable if a
// group can be made there, and Parent tries exactly that. Under systemd,
// the supervisor's unit should say Delegate=yes, so that systemd leaves the
// groups below it alone.
//
// A supervisor typically makes one group per daemon with [Create] and one
// per incarnation under it with [Group.Sub], and starts each child inside
// with [Group.FD], so that it is born there (clone3 with
// CLONE_INTO_CGROUP): a child first started and then moved could fork in
// between, and its child would stay outside.
//
// # Hybrid and pure cgroup v2 hosts
//
// On a pure v2 host the cgroup2 file system is mounted at /sys/fs/cgroup. A
// hybrid host mounts the v1 hierarchies under /sys/fs/cgroup/* and a
// cgroup2 hierarchy without controllers at /sys/fs/cgroup/unified; that is
// enough here, since the package uses no controller, only cgroup.procs,
// cgroup.events and cgroup.kill. The package finds the mount in
// /proc/self/mountinfo (file system type cgroup2) and its own group in the
// "0::PATH" line of /proc/self/cgroup, so the paths above are not built in.
// A host with v1 only, a container that shows no cgroup2 mount, or a group
// the process may not write, makes every function fail with an error
// wrapping [errors.ErrUnsupported]; the supervisor then falls back to
// process groups. Other systems than Linux have no cgroups at all.
//
// # Why cgroup.kill
//
// Killing a group process by process races with its forks: a process
// forked after the list was read escapes, and a pid listed may exit and be
// reused. Writing "1" to cgroup.kill (Linux 5.14) has the kernel SIGKILL
// the whole subtree at once, and processes forked meanwhile are killed as
// they are born. Where cgroup.kill is missing, [Group.Kill] signals and
// re-lists until the group is empty. [Group.Signal], for other signals,
// pins each process with a pidfd and checks it is still in the group
// before signalling it, so a reused pid is never hit, but it can miss a
// process forked while it runs.
//
// # What the kernel does, as seen on Linux 6.18
//
// A process leaves cgroup.procs when its last thread exits, and the
// group's populated count a moment later: both before its parent reaps it,
// so a zombie neither keeps a group populated nor blocks its removal. A group whose processes were just
// killed refuses rmdir (EBUSY) for a few milliseconds while they finish
// exiting; [Group.Remove] waits that out.
//
// # What it does not do
//
// It enables no controller and sets no limit: memory.max, pids.max and
// cpu.max are left to a later change. It does not freeze groups, move
// processes between groups, or follow threads (cgroup.threads).
package cgroup
