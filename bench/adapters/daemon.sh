# daemon (libslack, Debian package "daemon"): one resident parent per daemon; --respawn restarts
# (10 s is the smallest --acceptable/--delay it takes); --output copies the child's output to a file.
#
# Run by root, daemon refuses to execute an "unsafe" program: one that is group- or world-writable or
# that lies under such a directory anywhere up its real path, sticky /tmp included. It then exits 1
# at once ("daemon: fatal: refusing to execute unsafe program: .../bench/bin/bh (/tmp is group- and
# world-writable)") and no child ever runs. That is what happens when bench/run runs from a checkout
# under /tmp (a git worktree, a clone in a temp dir), or from a group-writable checkout or BIN. So
# t_setup checks the workload's path the way daemon does; when it is unsafe, the workload runs from a
# copy in a fresh root-only directory under /run (mktemp -d, mode 0700), removed by t_teardown.
# The daemon command stays the one measured by hand, with the safety check it does in production
# (no --unsafe).
SUPERVISES=1 RESIDENT=1 CAPTURES=1
t_version() { daemon --version 2>&1 | head -n1; }
DAEMON_BH=$BH DAEMON_SAFE=""
t_setup() {
  local bad
  bad=$(unsafe_path "$BH") || return 0
  DAEMON_SAFE=$(mktemp -d "${DAEMON_SAFE_ROOT:-/run}/tendbench-daemon.XXXXXX") || return 0
  cp "$BH" "$DAEMON_SAFE/bh"
  if unsafe_path "$DAEMON_SAFE/bh" >/dev/null; then
    say "daemon: no safe directory for the workload (${DAEMON_SAFE_ROOT:-/run}); its starts will fail"
    rm -rf "$DAEMON_SAFE"; DAEMON_SAFE=""; return 0
  fi
  DAEMON_BH=$DAEMON_SAFE/bh
  NOTE_START="workload run from $DAEMON_SAFE: $bad is group/world-writable and daemon refuses it as root"
}
t_start() {
  local n=$1 l=$2 c=$3; shift 3
  [ "$c" = "$BH" ] && c=$DAEMON_BH
  daemon --name="$n" --pidfiles="$S" --respawn --acceptable=10 --attempts=100 --delay=10 --output="$l" -- "$c" "$@"
}
t_stop() { daemon --name="$1" --pidfiles="$S" --stop; }
t_pids() { pids_from_files "$S"/*.pid; }
t_teardown() {
  # Any daemon still running (after a failed measurement): stop it by its pidfile's pid.
  local f p
  for f in "$S"/*.pid; do
    [ -s "$f" ] || continue
    p=$(head -n1 "$f" 2>/dev/null) || continue  # daemon removes it as it exits
    kill -TERM "$p" 2>/dev/null && "$BH" waitgone "$p" 5000 >/dev/null 2>&1
  done
  [ -n "$DAEMON_SAFE" ] && rm -rf "$DAEMON_SAFE"
  DAEMON_SAFE="" DAEMON_BH=$BH
  return 0
}
