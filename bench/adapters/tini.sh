# tini: a resident parent that forwards signals and reaps, started detached with setsid -f.
# It does not restart the child; the child writes the log file itself.
RESIDENT=1
t_version() { tini --version 2>&1 | head -n1; }
t_start() {
  local n=$1 l=$2; shift 2
  # sh records its pid (which exec keeps for tini), then becomes tini.
  setsid -f sh -c 'echo $$ > "$0"; l=$1; shift; exec tini -s -- "$@" >>"$l" 2>&1 </dev/null' "$S/$n.pid" "$l" "$@"
}
t_stop() { kill "$(cat "$S/$1.pid")"; }
t_pids() { pids_from_files "$S"/*.pid; }
