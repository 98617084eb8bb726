# daemon (libslack, Debian package "daemon"): one resident parent per daemon; --respawn restarts
# (10 s is the smallest --acceptable/--delay it takes); --output copies the child's output to a file.
SUPERVISES=1 RESIDENT=1 CAPTURES=1
t_version() { daemon --version 2>&1 | head -n1; }
t_start() {
  local n=$1 l=$2; shift 2
  daemon --name="$n" --pidfiles="$S" --respawn --acceptable=10 --attempts=100 --delay=10 --output="$l" -- "$@"
}
t_stop() { daemon --name="$1" --pidfiles="$S" --stop; }
t_pids() { pids_from_files "$S"/*.pid; }
