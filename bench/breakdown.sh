#!/bin/bash
# bench/breakdown.sh [N [START FLAGS...]]: where tend's start and stop spend their time, from system calls.
#
# Runs N start/stop cycles of `tend start bd FLAGS -- bh target READY` / `tend stop bd` under
# `perf trace`, which follows every process the cycles start, supervisors included (as root; without
# perf it says so and exits 0), and prints for each step the median time since the command was
# invoked (the execve of tend start, resp. tend stop), in ms:
#
#   start: supervisor execve (the launcher: Go start-up, CLI, definition, lock, fork); the
#          supervisor's "P pid" on the readiness pipe (its Go start-up); the command's execve (the
#          supervisor's setup: records, log, cgroup, fork); "R" on the readiness pipe (the command
#          runs; status written, control socket); tend start's exit_group
#   stop:  each connect to the control socket (the first: Go start-up, CLI); the stop signal to the
#          command; the command reaped by the supervisor; the supervisor's exit_group; tend stop's
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
rm -rf "$S"; mkdir -p "$S/home"
export TEND_HOME=$S/home
T=$S/trace.txt
EV=execve,exit_group,write,connect,kill,tgkill,pidfd_send_signal,wait4
perf trace -e "$EV" -o "$T" -- bash -c '
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
  tend_proc && call ~ /^execve/ && phase == "" { phase = "launch"; s0 = time; next }
  phase == "launch" && tend_proc && call ~ /^execve/ { put("start: supervisor execve", ms(time - s0)); phase = "sup"; next }
  phase == "sup" && call ~ /^write\(fd: 3,/ && /count: ([4-9]|10)\)/ { put("start: supervisor says its pid (Go start-up done)", ms(time - s0)); phase = "child"; next }
  phase == "child" && call ~ /^execve/ { put("start: command execve", ms(time - s0)); phase = "ready"; next }
  phase == "ready" && call ~ /^write\(fd: 3,/ && /count: 2\)/ { put("start: supervisor says ready (R)", ms(time - s0)); phase = "exit"; next }
  phase == "exit" && tend_proc && call ~ /^exit_group/ { put("start: tend start exits", ms(time - s0)); phase = "idle"; next }
  # stop
  phase == "idle" && tend_proc && call ~ /^execve/ { phase = "stop"; c0 = time; nconn = 0; next }
  phase == "stop" && tend_proc && call ~ /^connect/ { nconn++; put("stop: connect " nconn " to the control socket", ms(time - c0)); next }
  phase == "stop" && (call ~ /^pidfd_send_signal/ || call ~ /^kill/) && /sig: (15|TERM)/ { put("stop: SIGTERM to the command", ms(time - c0)); phase = "reap"; next }
  phase == "reap" && call ~ /^wait4/ && / = [1-9][0-9]*/ { put("stop: command reaped by the supervisor", ms(time - c0)); phase = "supexit"; next }
  phase == "supexit" && tend_proc && call ~ /^exit_group/ { put("stop: supervisor exits", ms(time - c0)); phase = "cliexit"; next }
  phase == "cliexit" && tend_proc && call ~ /^exit_group/ { put("stop: tend stop exits", ms(time - c0)); phase = ""; next }
  END {
    for (k = 1; k <= no; k++) {
      n = split(substr(vals[order[k]], 2), v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "%8.2f  %s (n=%d)\n", med, order[k], n
    }
  }' < <(grep -E '^ *[0-9]+[.][0-9]+ ' "$T" | sort -s -g -k1,1)
[ -n "${KEEP:-}" ] || rm -rf "$S"
