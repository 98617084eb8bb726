# tend: one resident host per TEND_HOME runs every daemon's supervisor; its keeper forks and reaps
# (cmd/tend, built by bench/run with CGO_ENABLED=0). The host starts with the first tend start.
# TEND_FLAGS adds options to every start (tend-nots.sh and tend-nobackoff.sh use it).
SUPERVISES=1 RESIDENT=1 CAPTURES=1
TEND=${TEND:-$BIN/tend}
export TEND_HOME=$S/home
t_version() { "$TEND" --version 2>/dev/null | head -n1 || echo "tend (this checkout)"; }
t_start() {
  local n=$1 l=$2; shift 2
  "$TEND" start "$n" --log "$l" --log-max-size -1 ${TEND_FLAGS:-} -- "$@"
}
# Readiness: the child writes a newline to fd 3 (--ready fd:3), when this tend has --ready.
if "$TEND" help start 2>&1 | grep -q -- '--ready'; then
  READY=1
  t_start_ready() {
    local n=$1 l=$2; shift 2
    "$TEND" start "$n" --log "$l" --log-max-size -1 --ready fd:3 ${TEND_FLAGS:-} -- "$@"
  }
fi
t_stop() { "$TEND" stop "$1"; }
# The resident processes: the keeper (host.pid) and the host, its child.
t_pids() {
  local k; k=$(pids_from_files "$TEND_HOME/host.pid")
  [ -n "$k" ] || return 0
  echo "$k"
  cat /proc/"$k"/task/*/children 2>/dev/null | tr ' ' '\n' | while read -r c; do
    [ -n "$c" ] && grep -qa __host /proc/"$c"/cmdline 2>/dev/null && echo "$c"
  done
  return 0
}
t_teardown() { "$TEND" host stop >/dev/null 2>&1; }
# Each line gets the prefix "2026-11-23T19:45:47.021944Z stdout " (35 bytes); with
# --no-timestamps, none (the bare 100-byte lines).
t_logbytes() {
  case " ${TEND_FLAGS:-} " in
  *" --no-timestamps "*) echo $(($1 * 100)) ;;
  *) echo $(($1 * 135)) ;;
  esac
}
