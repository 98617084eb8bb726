#!/bin/bash
# bench/measure.sh METRIC ARGS...: one measurement; bench/run calls it for every tool. Results are
# appended to $OUT/summary.tsv (see lib.sh), raw values to $OUT/raw/.
#   startstop TOOL N   start latency (start invoked .. it returned AND the child runs, by the child's
#                      own first-instruction stamp) and stop latency (stop invoked .. it returned AND
#                      the child is gone, by pidfd); N runs after 2 warm-ups; PAUSE s between steps.
#   ready TOOL N       start latency when the start waits for the child's readiness notification
#                      (the child writes a newline to fd 3 after stamping), for tools with READY=1.
#   restart TOOL N     N fresh daemons, one after the other: start, wait SETTLE s (default 1.2),
#                      kill -9 the child, latency until the new child runs (its own stamp); the first
#                      restart of each daemon, so before any backoff growth.
#   memory TOOL "K..." RSS and PSS (smaps_rollup) summed over the tool's resident processes with K
#                      sleeping children (children excluded).
#   idle SECS TOOL...  all TOOLs at once, one sleeping child each; CPU ticks and context switches
#                      (all threads) of their resident processes over SECS seconds.
#   log TOOL MB RUNS   the child writes MB of numbered 100-byte lines in 64 KiB writes; MB/s of payload
#                      from its first instruction until the log holds all of it; lines counted.
#   logfloor MB RUNS   the same child writing straight into a file, into /dev/null, and through
#                      a pipe copied by cat into a file.
#   spawnfloor N       fork+execve+wait etc. of /bin/true, and posix_spawn+wait of bin/gofloor-exit.
# A tool that fails a metric gets a result line all the same: NA with "FAILED: why" as its note (the
# report shows it), and what was started for it is stopped. The stderr of every adapter step goes to
# $S/errors, so the why ends with the tool's own last message.
. "$(dirname "$0")/lib.sh"

NAMES=""  # daemons declared (t_add) by the current metric, for the clean-up after a failure
# last_err: ": LAST LINE" of the adapter steps' stderr, tabs and newlines flattened, or nothing.
last_err() {
  local e; e=$(grep -v '^[[:space:]]*$' "$S/errors" 2>/dev/null | tail -n1 | tr '\t' ' ' | cut -c1-200)
  [ -n "$e" ] && printf ': %s' "$e"
}
# fail "METRIC..." WHY: record NA for each METRIC with note "FAILED: WHY", undo, exit.
fail() {
  local m n
  say "$TOOL: $2"
  for m in $1; do echo "NA NA NA 0" | record "$TOOL" "$m" "FAILED: $2"; done
  for n in $NAMES; do t_stop "$n" >/dev/null 2>&1; t_remove "$n" >/dev/null 2>&1; done
  t_teardown >/dev/null 2>&1
  exit 1
}
# add NAME LOG CMD...: t_add, remembered for fail.
add() { NAMES="$NAMES $1"; t_add "$@" >/dev/null 2>>"$S/errors"; }

startstop() {
  local tool=$1 n=$2 i name=ss
  load_tool "$tool"; t_setup
  local L=$S/logs/$name.log R=$S/ready/$name.ready why
  add "$name" "$L" "$BH" target "$R"; t_commit >/dev/null 2>>"$S/errors"
  local raw=$RAW/startstop-$tool.tsv
  printf 'run\tstart_us\tstart_returned_us\tchild_running_us\tstop_us\tstop_returned_us\tchild_gone_us\n' > "$raw"
  for i in $(seq -1 "$n"); do
    rm -f "$R"
    now_us; local s0=$REPLY
    t_start "$name" "$L" "$BH" target "$R" >/dev/null 2>>"$S/errors" || why="start exit status $?"
    now_us; local s1=$REPLY
    "$BH" waitfile "$R" 15000 || fail "start_ms stop_ms" "child not running 15 s after start${why:+ ($why$(last_err))}"
    [ -n "${why:-}" ] && { say "$tool: $why$(last_err) (the child runs)"; why=""; }
    local pid ts; pid=$(stamp_pid "$R"); ts=$(stamp_us "$R")
    sleep "${PAUSE:-0.05}"
    "$BH" waitgone "$pid" 15000 > "$S/gone" & local waiter=$!
    sleep 0.02
    now_us; local p0=$REPLY
    t_stop "$name" >/dev/null 2>>"$S/errors" || why="stop exit status $?"
    now_us; local p1=$REPLY
    wait "$waiter" || fail "start_ms stop_ms" "child alive 15 s after stop${why:+ ($why$(last_err))}"
    [ -n "${why:-}" ] && { say "$tool: $why$(last_err) (the child is gone)"; why=""; }
    local tg; tg=$(cat "$S/gone")
    [ "$i" -ge 1 ] && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" $(($(later "$s1" "$ts") - s0)) $((s1 - s0)) $((ts - s0)) \
      $(($(later "$p1" "$tg") - p0)) $((p1 - p0)) $((tg - p0)) >> "$raw"
    sleep "${PAUSE:-0.05}"
  done
  t_remove "$name" >/dev/null 2>>"$S/errors"; t_teardown
  tail -n +2 "$raw" | cut -f2 | stats | us_to_ms | record "$tool" start_ms "$NOTE_START"
  tail -n +2 "$raw" | cut -f5 | stats | us_to_ms | record "$tool" stop_ms
}

ready() {
  local tool=$1 n=$2 i name=rd
  load_tool "$tool"
  if [ "$READY" != 1 ]; then printf '1 1 1 0\n' | awk '{print "NA NA NA 0"}' | record "$tool" ready_ms "no readiness protocol"; return; fi
  t_setup
  local L=$S/logs/$name.log R=$S/ready/$name.ready
  add "$name" "$L" "$BH" notify 3 "$R"; t_commit >/dev/null 2>>"$S/errors"
  local raw=$RAW/ready-$tool.tsv why
  printf 'run\tstart_us\tstart_returned_us\tchild_running_us\n' > "$raw"
  for i in $(seq -1 "$n"); do
    rm -f "$R"
    now_us; local s0=$REPLY
    t_start_ready "$name" "$L" "$BH" notify 3 "$R" >/dev/null 2>>"$S/errors" || why="start exit status $?"
    now_us; local s1=$REPLY
    "$BH" waitfile "$R" 15000 || fail ready_ms "child not running 15 s after start${why:+ ($why$(last_err))}"
    why=""
    local ts; ts=$(stamp_us "$R")
    [ "$i" -ge 1 ] && printf '%s\t%s\t%s\t%s\n' "$i" $(($(later "$s1" "$ts") - s0)) $((s1 - s0)) $((ts - s0)) >> "$raw"
    sleep "${PAUSE:-0.05}"
    t_stop "$name" >/dev/null 2>>"$S/errors"
    sleep "${PAUSE:-0.05}"
  done
  t_remove "$name" >/dev/null 2>>"$S/errors"; t_teardown
  tail -n +2 "$raw" | cut -f2 | stats | us_to_ms | record "$tool" ready_ms
}

restart() {
  local tool=$1 n=$2 i
  load_tool "$tool"
  if [ "$SUPERVISES" != 1 ]; then echo "NA NA NA 0" | record "$tool" restart_ms "does not restart"; return; fi
  t_setup
  local raw=$RAW/restart-$tool.tsv missed=0 why
  printf 'run\trestart_us\told_pid\tnew_pid\n' > "$raw"
  for i in $(seq 1 "$n"); do
    local name=rs$i L=$S/logs/rs$i.log R=$S/ready/rs$i.ready
    add "$name" "$L" "$BH" target "$R"; t_commit >/dev/null 2>>"$S/errors"
    why=""; t_start "$name" "$L" "$BH" target "$R" >/dev/null 2>>"$S/errors" || why="start exit status $?"
    "$BH" waitfile "$R" 15000 || fail restart_ms "child not running 15 s after start${why:+ ($why$(last_err))}"
    sleep "${SETTLE:-1.2}"
    local old; old=$(stamp_pid "$R"); rm -f "$R"
    now_us; local k=$REPLY
    kill -9 "$old"
    if "$BH" waitfile "$R" 30000; then
      printf '%s\t%s\t%s\t%s\n' "$i" $(($(stamp_us "$R") - k)) "$old" "$(stamp_pid "$R")" >> "$raw"
    else
      say "$tool: no restart within 30 s"; missed=$((missed + 1))
    fi
    t_stop "$name" >/dev/null 2>>"$S/errors"; t_remove "$name" >/dev/null 2>>"$S/errors"
    NAMES=""
  done
  t_teardown
  local note=""; [ "$missed" -gt 0 ] && note="no restart within 30 s in $missed of $n runs"
  [ "$missed" = "$n" ] && note="FAILED: $note"
  tail -n +2 "$raw" | cut -f2 | stats | us_to_ms | record "$tool" restart_ms "$note"
}

memory() {
  local tool=$1 counts=$2 k i left why
  for k in $counts; do
    load_tool "$tool"
    if [ "$RESIDENT" != 1 ]; then echo "NA NA NA 0" | record "$tool" "pss_kb_$k" "nothing resident"; continue; fi
    # A failure at K fails the larger counts too (the same tool, the same cause).
    left=$(for c in $counts; do [ "$c" -ge "$k" ] && printf 'rss_kb_%s pss_kb_%s ' "$c" "$c"; done)
    t_setup; NAMES=""; why=""
    for i in $(seq 1 "$k"); do add "m$i" "$S/logs/m$i.log" "$BH" target "$S/ready/m$i.ready"; done
    t_commit >/dev/null 2>>"$S/errors"
    if [ "$BATCH" = 1 ]; then
      t_start_all >/dev/null 2>>"$S/errors" || why="start exit status $?"
    else
      for i in $(seq 1 "$k"); do
        t_start "m$i" "$S/logs/m$i.log" "$BH" target "$S/ready/m$i.ready" >/dev/null 2>>"$S/errors" || why="start exit status $?"
      done
    fi
    for i in $(seq 1 "$k"); do
      "$BH" waitfile "$S/ready/m$i.ready" 30000 || fail "$left" "m$i of $k not running 30 s after start${why:+ ($why$(last_err))}"
    done
    sleep 2
    local procs rss pss ticks cs
    read -r procs rss pss ticks cs < <(t_pids | sort -u | pid_totals)
    echo "$rss $rss $rss 1" | record "$tool" "rss_kb_$k" "procs=$procs"
    echo "$pss $pss $pss 1" | record "$tool" "pss_kb_$k" "procs=$procs"
    if [ "$BATCH" = 1 ]; then
      t_stop_all >/dev/null 2>>"$S/errors"
    else
      for i in $(seq 1 "$k"); do t_stop "m$i" >/dev/null 2>>"$S/errors"; t_remove "m$i" >/dev/null 2>>"$S/errors"; done
    fi
    t_teardown
  done
}

idle() {
  local secs=$1 tool; shift
  local hz; hz=$(getconf CLK_TCK)
  for tool in "$@"; do
    (
      load_tool "$tool"
      [ "$RESIDENT" = 1 ] || { echo "NA NA NA 0" | record "$tool" idle_ctxsw "nothing resident"; exit 0; }
      t_setup; local why=""
      add i1 "$S/logs/i1.log" "$BH" target "$S/ready/i1.ready"; t_commit >/dev/null 2>>"$S/errors"
      t_start i1 "$S/logs/i1.log" "$BH" target "$S/ready/i1.ready" >/dev/null 2>>"$S/errors" || why="start exit status $?"
      "$BH" waitfile "$S/ready/i1.ready" 30000 || fail "idle_ctxsw idle_cpu_ms" "child not running 30 s after start${why:+ ($why$(last_err))}"
      sleep 3
      local pids; pids=$(t_pids | sort -u)
      local n1 r1 p1 tk1 cs1 n2 r2 p2 tk2 cs2
      read -r n1 r1 p1 tk1 cs1 < <(echo "$pids" | pid_totals)
      sleep "$secs"
      read -r n2 r2 p2 tk2 cs2 < <(echo "$pids" | pid_totals)
      local cpu_ms=$(( (tk2 - tk1) * 1000 / hz ))
      echo "$((cs2 - cs1)) $((cs2 - cs1)) $((cs2 - cs1)) 1" | record "$tool" idle_ctxsw "procs=$n2 secs=$secs"
      echo "$cpu_ms $cpu_ms $cpu_ms 1" | record "$tool" idle_cpu_ms "procs=$n2 secs=$secs hz=$hz"
      t_stop i1 >/dev/null 2>>"$S/errors"; t_remove i1 >/dev/null 2>>"$S/errors"; t_teardown
    ) &
  done
  wait
}

log() {
  local tool=$1 mb=$2 runs=$3 r
  local nl=$((mb * 10000))
  local res=$RAW/log-$tool.tsv note=""
  printf 'run\tMBps\tlines\tsize\n' > "$res"
  for r in $(seq 1 "$runs"); do
    load_tool "$tool"
    [ "$CAPTURES" = 1 ] || { echo "NA NA NA 0" | record "$tool" log_MBps "the child writes the file itself"; return; }
    t_setup; NAMES=""
    local name=lt L=$S/logs/lt.log R=$S/ready/lt.ready why=""
    add "$name" "$L" "$BH" spew "$nl" "$R"; t_commit >/dev/null 2>>"$S/errors"
    t_start "$name" "$L" "$BH" spew "$nl" "$R" >/dev/null 2>>"$S/errors" || why="start exit status $?"
    "$BH" waitfile "$R" 30000 || fail log_MBps "writer not running 30 s after start${why:+ ($why$(last_err))}"
    local lf want te size
    lf=$(t_logfile "$name" "$L"); want=$(t_logbytes "$nl")
    read -r te size < <("$BH" waitsize "$lf" "$want" 600000 20000)
    [ -f "$lf" ] || fail log_MBps "no log at $lf$(last_err)"
    size=${size:-0}
    local ts; ts=$(stamp_us "$R")
    local lines last
    lines=$(wc -l < "$lf"); last=$(tail -n1 "$lf" | grep -o '[0-9]\{12\} x' | head -n1)
    local mbps=NA final
    [ "$size" -ge "$want" ] && mbps=$(awk -v b=$((nl * 100)) -v us=$((te - ts)) 'BEGIN { printf "%.1f", b / us }')
    note="lines=$lines/$nl last=${last% x}"
    [ "$lines" = "$nl" ] && [ "$last" = "$(printf '%012d x' $((nl - 1)))" ] || note="$note LINES MISSING"
    # The figure holds only if the log ends at exactly the expected size.
    final=$(stat -c %s "$lf")
    [ "$final" = "$want" ] || { note="$note SIZE $final != $want"; mbps=NA; }
    printf '%s\t%s\t%s\t%s\n' "$r" "$mbps" "$lines" "$final" >> "$res"
    t_stop "$name" >/dev/null 2>>"$S/errors"; t_remove "$name" >/dev/null 2>>"$S/errors"; t_teardown
    rm -rf "$S/logs"
  done
  tail -n +2 "$res" | cut -f2 | grep -qv NA || note="FAILED: $note"
  tail -n +2 "$res" | cut -f2 | grep -v NA | stats | record "$tool" log_MBps "$note"
}

logfloor() {
  local mb=$1 runs=$2 mode r
  local nl=$((mb * 10000)) d=$STATE_ROOT/floor
  rm -rf "$d"; mkdir -p "$d"
  for mode in file devnull pipe-cat; do
    : > "$d/$mode"
    for r in $(seq 1 "$runs"); do
      rm -f "$d/out"
      now_us; local t0=$REPLY
      case $mode in
      file) BH_SPEW_EXIT=1 "$BH" spew "$nl" "$d/rdy" > "$d/out" ;;
      devnull) BH_SPEW_EXIT=1 "$BH" spew "$nl" "$d/rdy" > /dev/null ;;
      pipe-cat) BH_SPEW_EXIT=1 "$BH" spew "$nl" "$d/rdy" | cat > "$d/out" ;;
      esac
      now_us
      awk -v b=$((nl * 100)) -v us=$((REPLY - t0)) 'BEGIN { printf "%.1f\n", b / us }' >> "$d/$mode"
    done
    stats < "$d/$mode" | record "floor:$mode" log_MBps
  done
  rm -rf "$d"
}

# bulk: tend up of a tend.toml of 200 daemons (until every child runs), then, with 800 more started
# (untimed), tend stop --all of the 1,000 (until every child is gone); beside it, 200 and 1,000
# fork+exec+wait of /bin/true one after the other (the floor: what creating the processes costs).
bulk() {
  local tool=tend i d t0 t1 pid
  load_tool "$tool"; t_setup
  d=$S/bulk
  rm -rf "$d"; mkdir -p "$d/ready"
  for i in $(seq 1 200); do
    printf '[b%s]\ncommand = ["%s", "target", "%s/ready/b%s"]\nlog = "%s/b%s.log"\nlog_max_size = -1\n\n' "$i" "$BH" "$d" "$i" "$d" "$i"
  done > "$d/tend.toml"
  now_us; t0=$REPLY
  "$TEND" up -f "$d/tend.toml" -p bulk >/dev/null 2>>"$S/errors" || fail "up200_ms stopall1000_ms" "tend up of 200 failed$(last_err)"
  for i in $(seq 1 200); do "$BH" waitfile "$d/ready/b$i" 30000 || fail "up200_ms stopall1000_ms" "b$i not running 30 s after up"; done
  now_us; t1=$REPLY
  echo $((t1 - t0)) | stats | us_to_ms | record "$tool" up200_ms "tend up -f FILE of 200 daemons, until every child runs"
  for i in $(seq 201 1000); do
    t_start "c$i" "$d/c$i.log" "$BH" target "$d/ready/c$i" >/dev/null 2>>"$S/errors" || fail "stopall1000_ms" "start c$i failed$(last_err)"
  done
  for i in $(seq 201 1000); do "$BH" waitfile "$d/ready/c$i" 30000 || fail "stopall1000_ms" "c$i not running"; done
  for f in "$d"/ready/*; do stamp_pid "$f"; done > "$d/pids"
  # The host's wake-ups with 1,000 daemons idle, over IDLE1000 s (10 by default): as with one.
  sleep 2
  local c0 c1 procs rss pss ticks
  read -r procs rss pss ticks c0 < <(t_pids | sort -u | pid_totals)
  sleep "${IDLE1000:-10}"
  read -r procs rss pss ticks c1 < <(t_pids | sort -u | pid_totals)
  echo $(( (c1 - c0) * ${IDLE:-60} / ${IDLE1000:-10} )) | stats | record "$tool" idle_ctxsw_1000 "context switches of the keeper and host with 1,000 sleeping daemons, over ${IDLE1000:-10} s, scaled to the idle window"
  now_us; t0=$REPLY
  "$TEND" stop --all >/dev/null 2>>"$S/errors" || fail "stopall1000_ms" "tend stop --all failed$(last_err)"
  while read -r pid; do "$BH" waitgone "$pid" 30000 || fail "stopall1000_ms" "child $pid alive after stop --all"; done < "$d/pids"
  now_us; t1=$REPLY
  echo $((t1 - t0)) | stats | us_to_ms | record "$tool" stopall1000_ms "tend stop --all of 1,000 daemons, until every child is gone"
  t_teardown; rm -rf "$d"
  for n in 200 1000; do
    "$BIN/spawnfloor" "$n" /bin/true | grep '^fork+execve' | while IFS=$'\t' read -r m med mi ma c; do
      awk -v n="$n" -v m="$med" 'BEGIN { printf "%.2f %.2f %.2f %d\n", n * m / 1000, n * m / 1000, n * m / 1000, 1 }' |
        record "floor:fork+execve" "spawn${n}_ms" "$n x the median fork+execve+wait of /bin/true"
    done
  done
}

spawnfloor() {
  local n=$1 line
  "$BIN/spawnfloor" "$n" /bin/true | while IFS=$'\t' read -r m med mi ma c; do
    echo "$med $mi $ma $c" | awk '{printf "%.2f %.2f %.2f %d\n", $1/1000, $2/1000, $3/1000, $4}' | record "floor:$m" spawn_ms "/bin/true"
  done
  "$BIN/spawnfloor" "$((n / 4))" "$BIN/goexit" | grep posix_spawn | while IFS=$'\t' read -r m med mi ma c; do
    echo "$med $mi $ma $c" | awk '{printf "%.2f %.2f %.2f %d\n", $1/1000, $2/1000, $3/1000, $4}' | record "floor:go-runtime" spawn_ms "posix_spawn+wait of a static Go binary that exits"
  done
}

"$@"
