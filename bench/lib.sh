# bench/lib.sh: helpers for bench/run and the per-metric scripts. Sourced, never run.
#
# Conventions: every tool has an adapter, adapters/TOOL.sh, sourced by load_tool; all state lives
# under $STATE_ROOT (default /tmp/tendbench); every result is one line appended to $SUMMARY:
#   TOOL <TAB> METRIC <TAB> MEDIAN <TAB> MIN <TAB> MAX <TAB> N <TAB> NOTE
# and the raw per-run values go to $RAW/METRIC-TOOL.tsv. Only processes the harness started are
# signalled, by pid.
set -u
BENCH=${BENCH:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
BIN=${BIN:-$BENCH/bin}
OUT=${OUT:-$BENCH/results}
RAW=$OUT/raw
SUMMARY=$OUT/summary.tsv
STATE_ROOT=${STATE_ROOT:-/tmp/tendbench}
# npm packages (pm2) live in a private prefix, installed there by bench/run: never globally.
NPM_PREFIX=${NPM_PREFIX:-$BENCH/npm}
BH=$BIN/bh
export PATH="$BIN:$PATH"
mkdir -p "$RAW" "$STATE_ROOT"

say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "FATAL: $*"; exit 1; }

# now_us sets REPLY to the wall clock in microseconds, without a fork.
now_us() { local t=$EPOCHREALTIME; REPLY=${t/./}; }
# stats reads numbers, prints "MEDIAN MIN MAX N" (the mean of the two middle values for even N).
stats() {
  sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "NA NA NA 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR], NR }'
}
# us_to_ms converts "MEDIAN MIN MAX N" in microseconds into milliseconds with 2 decimals.
us_to_ms() { awk '{ if ($1 == "NA") print; else printf "%.2f %.2f %.2f %d\n", $1/1000, $2/1000, $3/1000, $4 }'; }
# record TOOL METRIC NOTE < "MEDIAN MIN MAX N"
record() {
  local m mi ma n
  read -r m mi ma n
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$m" "$mi" "$ma" "$n" "${3:-}" | tee -a "$SUMMARY" >&2
}
later() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }

# Workload stamps: "PID REALTIME_US".
stamp_pid() { local p t; read -r p t < "$1"; echo "$p"; }
stamp_us() { local p t; read -r p t < "$1"; echo "$t"; }

# pid_totals reads pids on stdin; prints "PROCS RSS_KB PSS_KB CPU_TICKS CTXSW" summed over them
# (context switches over all threads).
pid_totals() {
  local procs=0 rss=0 pss=0 ticks=0 cs=0 pid v t
  while read -r pid; do
    [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || continue
    procs=$((procs + 1))
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"); rss=$((rss + ${v:-0}))
    v=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null); pss=$((pss + ${v:-0}))
    # utime and stime: fields 14 and 15, counted after the ")" closing the command name
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}'); ticks=$((ticks + ${v:-0}))
    for t in /proc/"$pid"/task/*/status; do
      v=$(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$t" 2>/dev/null); cs=$((cs + ${v:-0}))
    done
  done
  echo "$procs $rss $pss $ticks $cs"
}

# ---- the adapter contract; adapters/TOOL.sh overrides what applies ------------------------------
# Flags: SUPERVISES (restarts a killed child), RESIDENT (leaves a process per daemon or for all),
# CAPTURES (the log is written by the tool, not by the child), READY (start can wait for the child's
# readiness notification on fd 3), BATCH (the memory test, untimed, starts its K daemons with one
# t_start_all and stops them with one t_stop_all instead of K t_start and t_stop + t_remove).
# NOTE_START is shown with the start figure (t_setup may set it).
# t_setup; t_add NAME LOG CMD... (declare a daemon, untimed); t_commit (after the t_adds);
# t_start NAME LOG CMD...;
# t_start_ready NAME LOG CMD...; t_stop NAME; t_remove NAME (undo t_add); t_pids (resident pids);
# t_logfile NAME LOG (where the output lands); t_logbytes NLINES (its size for NLINES 100-byte lines);
# t_start_all, t_stop_all (BATCH=1 only: every daemon declared by t_add); t_teardown (stops whatever
# the tool still runs, by pid; also called after a failed measurement); t_version.
reset_adapter() {
  SUPERVISES=0 RESIDENT=0 CAPTURES=0 READY=0 BATCH=0 NOTE_START=""
  t_setup() { :; }; t_add() { :; }; t_commit() { :; }; t_remove() { :; }; t_teardown() { :; }
  t_start_all() { return 1; }; t_stop_all() { return 1; }
  t_pids() { :; }
  t_start_ready() { return 1; }
  t_logfile() { echo "$2"; }
  t_logbytes() { echo $(($1 * 100)); }
  t_version() { echo "?"; }
}
# load_tool TOOL: source its adapter with a fresh private state dir $S.
load_tool() {
  TOOL=$1
  [ -f "$BENCH/adapters/$TOOL.sh" ] || die "no adapter for $TOOL"
  S=$STATE_ROOT/$TOOL
  rm -rf "$S"
  mkdir -p "$S/logs" "$S/ready"
  reset_adapter
  . "$BENCH/adapters/$TOOL.sh"
}
# unsafe_path FILE: prints the first component of FILE's real path (from / down, FILE included) that
# is group- or world-writable, and succeeds; fails when there is none. libslack daemon, run by root,
# refuses to execute a program with such a component (see adapters/daemon.sh).
unsafe_path() {
  local p d="" c mode
  p=$(readlink -f "$1") || return 1
  local IFS=/
  for c in "" ${p#/}; do
    d=${d%/}/$c
    mode=$(stat -L -c %a "$d" 2>/dev/null) || continue
    if (( (8#$mode & 8#022) != 0 )); then echo "$d"; return 0; fi
  done
  return 1
}
# pids_from_files FILE...: the pid in each file that exists.
pids_from_files() { local f; for f in "$@"; do [ -s "$f" ] && head -n1 "$f"; done; return 0; }
