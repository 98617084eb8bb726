#!/bin/bash
# bench/breakdown.sh [N [START FLAGS...]]: where tend's start and stop spend their time, from system calls.
#
# Runs N start/stop cycles of `tend start bd FLAGS -- bh target READY` / `tend stop bd` under
# `perf trace`, which follows every process the cycles start (as root; without perf it says so and
# exits 0), with the host (keeper and host processes) already running and traced too, and prints for
# each step the median time since the command was invoked (the execve of tend start, resp. tend
# stop), in ms:
#
#   start: the first connect to tend.sock (the CLI's Go start-up and its own work); the command's
#          execve (the host: definition, folder, lock, log, cgroup, then the keeper's fork); tend
#          start's exit_group (the host watched the start until the command settled, and answered)
#   stop:  the connect to tend.sock; the stop signal to the command; the command reaped by the
#          keeper; tend stop's exit_group
#
# perf trace slows every system call a little, so the totals are above bench/run's; the split is
# the point. Environment: TEND (default bench/bin/tend), STATE_ROOT (default /tmp/tendbench), KEEP
# (keep the trace in STATE_ROOT/breakdown).
. "$(dirname "$0")/lib.sh"
N=${1:-10}
[ $# -gt 0 ] && shift
FLAGS=""
[ $# -gt 0 ] && FLAGS=$(printf ' %q' "$@")
command -v perf >/dev/null && perf trace -e exit_group -o /dev/null -- true 2>/dev/null || { say "breakdown: no perf trace here"; exit 0; }
TEND=${TEND:-$BIN/tend}
S=$STATE_ROOT/breakdown
[ -d "$S/home" ] && TEND_HOME=$S/home "$TEND" host stop >/dev/null 2>&1
rm -rf "$S"; mkdir -p "$S/home"
export TEND_HOME=$S/home
trap '"$TEND" host stop >/dev/null 2>&1' EXIT
"$TEND" host status >/dev/null 2>&1 || "$TEND" start warm -- "$BH" target "$S/warm" >/dev/null
T=$S/trace.txt
EV=execve,exit_group,connect,kill,tgkill,pidfd_send_signal,wait4,waitid
# -a: the whole system while the cycles run, so that the host's and keeper's calls are on the
# same clock as the CLI's (other processes' calls are left out below, by their names).
perf trace -a -e "$EV" -o "$T" -- bash -c '
  for i in $(seq '"$N"'); do
    rm -f "'"$S"'/ready"
    "'"$TEND"'" start bd '"$FLAGS"' -- "'"$BH"'" target "'"$S"'/ready" >/dev/null || exit 1
    "'"$BH"'" waitfile "'"$S"'/ready" 15000 || exit 1
    sleep 0.2
    "'"$TEND"'" stop bd >/dev/null || exit 1
    sleep 0.2
  done' >/dev/null 2>&1 || { say "breakdown: the traced run failed"; "$TEND" stop bd >/dev/null 2>&1; exit 1; }
# Lines: "  TIME ( DUR ms): COMM/TID call(args) = RET", printed as calls end: sorted by TIME (the
# call's start) first. Each cycle is read as a little state machine.
awk -v tend="$(basename "$TEND")" '
  function t0(line) { return line + 0 }
  function ms(x) { return sprintf("%.2f", x) }
  function put(name, v) { if (!(name in seen)) { order[++no] = name; seen[name] = 1 }; vals[name] = vals[name] " " v }
  {
    time = $1 + 0
    # COMM/TID, then the call, or "... [continued]: CALL" for a call printed in two lines (an
    # execve: its first line still bears the name of the old program).
    who = ""; for (i = 1; i <= NF; i++) if ($i ~ /^[^ ]+\/[0-9]+$/ && $(i-1) ~ /\):$/) { who = $i; break }
    if (who == "") next
    call = ""; for (j = i + 1; j <= NF; j++) call = call (j > i + 1 ? " " : "") $j
    sub(/^[.][.][.] \[continued\]: /, "", call)
    comm = who; sub(/\/.*/, "", comm)
    tend_proc = (comm == tend || comm == "exe")
  }
  # start
  tend_proc && call ~ /^execve/ && phase == "" { phase = "conn"; s0 = time; nconn = 0; next }
  phase == "conn" && tend_proc && call ~ /^connect/ { put("start: first connect to tend.sock (CLI start-up)", ms(time - s0)); phase = "child"; next }
  phase == "child" && call ~ /^execve/ { put("start: command execve (host and keeper)", ms(time - s0)); phase = "exit"; next }
  phase == "exit" && tend_proc && call ~ /^exit_group/ { put("start: tend start exits (after the host watched the start)", ms(time - s0)); phase = "idle"; next }
  # stop
  phase == "idle" && tend_proc && call ~ /^execve/ { phase = "stop"; c0 = time; next }
  phase == "stop" && tend_proc && call ~ /^connect/ { put("stop: connect to tend.sock (CLI start-up)", ms(time - c0)); phase = "sig"; next }
  phase == "sig" && (call ~ /^pidfd_send_signal/ || call ~ /^kill/) && /sig: (15|TERM)/ { put("stop: SIGTERM to the command", ms(time - c0)); phase = "reap"; next }
  phase == "reap" && (call ~ /^wait4/ || call ~ /^waitid/) && / = [1-9][0-9]*/ { put("stop: command reaped by the keeper", ms(time - c0)); phase = "cliexit"; next }
  phase == "cliexit" && tend_proc && call ~ /^exit_group/ { put("stop: tend stop exits", ms(time - c0)); phase = ""; next }
  END {
    for (k = 1; k <= no; k++) {
      n = split(substr(vals[order[k]], 2), v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "%8.2f  %s (n=%d)\n", med, order[k], n
    }
  }' < <(grep -E '^ *[0-9]+[.][0-9]+ ' "$T" | sort -s -g -k1,1)
"$TEND" host stop >/dev/null 2>&1
[ -n "${KEEP:-}" ] || rm -rf "$S"
