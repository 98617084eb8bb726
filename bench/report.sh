#!/bin/bash
# bench/report.sh: turns $OUT/summary.tsv and $OUT/machine.txt into the Markdown report
# (bench/run writes it to $OUT/RESULTS.md).
. "$(dirname "$0")/lib.sh"
[ -s "$SUMMARY" ] || die "no $SUMMARY: run bench/run first"
awk -F'\t' -v machine="$OUT/machine.txt" '
function has(t, m) { return ((t SUBSEP m) in med) && med[t, m] != "NA" && med[t, m] != "" }
function v(t, m) { return med[t, m] + 0 }
function cell(t, m,   s) {
  if (!((t SUBSEP m) in med)) return "-"
  if (med[t, m] == "NA") return "n/a"
  s = med[t, m]
  if (n[t, m] > 1) s = s " [" lo[t, m] "-" hi[t, m] "]"
  return s
}
function r(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }
function mib(kb) { return sprintf("%.2f", kb / 1024) }
# best(metric, dir): the supervising peer with the lowest (dir<0) or highest (dir>0) median.
function best(m, dir,   i, t, b) {
  bt = ""
  for (i = 1; i <= np; i++) {
    t = peers[i]
    if (!has(t, m)) continue
    if (bt == "" || (dir < 0 && v(t, m) < b) || (dir > 0 && v(t, m) > b)) { bt = t; b = v(t, m) }
  }
  return bt
}
function ok(c) { return c ? "**met**" : "**missed**" }
BEGIN {
  np = split("daemon s6 runit supervisord pm2", peers, " ")
  while ((getline line < machine) > 0) { k = line; sub(/:.*/, "", k); val = line; sub(/^[^:]*: /, "", val); mach[k] = val }
}
{ med[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5; n[$1, $2] = $6; note[$1, $2] = $7
  if (!($1 in seen)) { seen[$1] = 1; order[++nt] = $1 } }
END {
  print "# tend benchmark results"
  print ""
  printf "Run %s on %s vCPU (%s), %s, Linux %s, %s, state on %s; %s. Load average before %s, after %s.\n",
    mach["date"], mach["nproc"], mach["cpu"], mach["mem"], mach["kernel"], mach["os"], mach["fs"], mach["go"], mach["load_before"], mach["load_after"]
  printf "Parameters: %s; tend at %s.\n\n", mach["args"], mach["tend"]
  print "## Against the targets"
  print ""
  print "Supervising peers: libslack daemon, s6, runit, supervisord (pm2 when installed). Floors: gofloor is a minimal"
  print "resident Go supervisor (bench/src/gofloor.go: re-exec twice with setsid, start the child, restart it, no state);"
  print "fork+execve+wait is bench/src/spawnfloor.c; the direct write is the same child writing straight to a file."
  print ""
  print "| figure | tend | best supervising peer | tend / peer | floor | tend / floor | target | verdict |"
  print "|---|---|---|---|---|---|---|---|"
  # start
  b = best("start_ms", -1)
  c = has("tend", "start_ms") && v("tend", "start_ms") < v(b, "start_ms") && v("tend", "start_ms") <= 1.5 * v("gofloor", "start_ms")
  printf "| start, ms | %s | %s %s | %s | gofloor %s; fork+exec %s | %s; %s | < every peer, <= 1.5x gofloor | %s |\n",
    cell("tend", "start_ms"), b, med[b, "start_ms"], r(v("tend", "start_ms"), v(b, "start_ms")), med["gofloor", "start_ms"],
    med["floor:fork+execve+wait", "spawn_ms"], r(v("tend", "start_ms"), v("gofloor", "start_ms")),
    r(v("tend", "start_ms"), v("floor:fork+execve+wait", "spawn_ms")), ok(c)
  # ready
  b = best("ready_ms", -1)
  if (has("tend", "ready_ms"))
    printf "| start with readiness (fd 3), ms | %s | %s %s | %s | gofloor start %s | %s | (none) | - |\n",
      cell("tend", "ready_ms"), b, med[b, "ready_ms"], r(v("tend", "ready_ms"), v(b, "ready_ms")), med["gofloor", "start_ms"], r(v("tend", "ready_ms"), v("gofloor", "start_ms"))
  else
    print "| start with readiness, ms | not measured: this tend has no --ready | | | | | | - |"
  # stop
  b = best("stop_ms", -1)
  c = v("tend", "stop_ms") <= 1.25 * v("daemon", "stop_ms")
  printf "| stop, ms | %s | %s %s (daemon %s) | %s (vs daemon %s) | gofloor %s; kill+wait (setsid) %s | %s; %s | <= 1.25x daemon | %s |\n",
    cell("tend", "stop_ms"), b, med[b, "stop_ms"], med["daemon", "stop_ms"], r(v("tend", "stop_ms"), v(b, "stop_ms")), r(v("tend", "stop_ms"), v("daemon", "stop_ms")),
    med["gofloor", "stop_ms"], med["setsid", "stop_ms"], r(v("tend", "stop_ms"), v("gofloor", "stop_ms")), r(v("tend", "stop_ms"), v("setsid", "stop_ms")), ok(c)
  # restart
  b = best("restart_ms", -1)
  for (k = 1; k <= 2; k++) {
    t = (k == 1) ? "tend" : "tend-nobackoff"; lbl = (k == 1) ? "first restart after kill -9, ms (defaults: first restart at once)" : "first restart, ms, tend --backoff 1ns"
    if (!has(t, "restart_ms")) continue
    c = v(t, "restart_ms") <= 1.5 * v("daemon", "restart_ms")
    printf "| %s | %s | %s %s (daemon %s) | %s (vs daemon %s) | gofloor %s | %s | <= 1.5x daemon | %s |\n", lbl,
      cell(t, "restart_ms"), b, med[b, "restart_ms"], med["daemon", "restart_ms"], r(v(t, "restart_ms"), v(b, "restart_ms")), r(v(t, "restart_ms"), v("daemon", "restart_ms")),
      med["gofloor", "restart_ms"], r(v(t, "restart_ms"), v("gofloor", "restart_ms")), ok(c)
  }
  # memory
  b = best("pss_kb_100", -1)
  c = v("tend", "pss_kb_100") <= 1.3 * v("gofloor", "pss_kb_100")
  printf "| PSS per daemon (100 daemons), MiB | %.3f | %s %.3f | %s | gofloor %.3f | %s | <= 1.3x gofloor | %s |\n",
    v("tend", "pss_kb_100") / 102400, b, v(b, "pss_kb_100") / 102400, r(v("tend", "pss_kb_100"), v(b, "pss_kb_100")),
    v("gofloor", "pss_kb_100") / 102400, r(v("tend", "pss_kb_100"), v("gofloor", "pss_kb_100")), ok(c)
  printf "| PSS, 1 daemon, MiB | %s | %s %s | %s | gofloor %s | %s | - | - |\n", mib(v("tend", "pss_kb_1")), best("pss_kb_1", -1),
    mib(v(best("pss_kb_1", -1), "pss_kb_1")), r(v("tend", "pss_kb_1"), v(best("pss_kb_1", -1), "pss_kb_1")), mib(v("gofloor", "pss_kb_1")), r(v("tend", "pss_kb_1"), v("gofloor", "pss_kb_1"))
  # idle
  b = best("idle_ctxsw", -1)
  c = has("tend", "idle_ctxsw") && v("tend", "idle_ctxsw") == 0
  printf "| idle: context switches (wake-ups) / CPU ms in the window | %s / %s | %s %s / %s | - | gofloor %s / %s | - | 0 wake-ups | %s |\n",
    med["tend", "idle_ctxsw"], med["tend", "idle_cpu_ms"], b, med[b, "idle_ctxsw"], med[b, "idle_cpu_ms"], med["gofloor", "idle_ctxsw"], med["gofloor", "idle_cpu_ms"], ok(c)
  # log
  b = best("log_MBps", 1)
  for (k = 1; k <= 2; k++) {
    t = (k == 1) ? "tend" : "tend-nots"; lbl = (k == 1) ? "log capture, MB/s (timestamp+stream prefix)" : "log capture, MB/s, --no-timestamps"
    if (!has(t, "log_MBps")) continue
    lost = (note[t, "log_MBps"] ~ /MISSING/)
    c = v(t, "log_MBps") >= 0.9 * v("floor:file", "log_MBps") && !lost
    printf "| %s | %s (%s) | %s %s | %s | direct write %s; Go io.Copy %s | %s | >= 0.90x direct, no line lost | %s |\n", lbl,
      cell(t, "log_MBps"), note[t, "log_MBps"], b, med[b, "log_MBps"], r(v(t, "log_MBps"), v(b, "log_MBps")),
      med["floor:file", "log_MBps"], med["gofloor-pipe", "log_MBps"], r(v(t, "log_MBps"), v("floor:file", "log_MBps")), ok(c)
  }
  print ""
  print "## Every tool (median [min-max])"
  print ""
  print "Latencies in ms (n runs each, see raw/); memory summed over the resident processes, children excluded;"
  print "idle over the whole window with one sleeping child; log MB/s of payload (10^6 B/s)."
  print ""
  print "| tool | start | start, ready | stop | first restart | RSS / PSS MiB, 1 daemon | RSS / PSS MiB, 100 daemons | idle ctxsw / CPU ms | log MB/s |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nt; i++) {
    t = order[i]; if (t ~ /^floor:/) continue
    m1 = has(t, "pss_kb_1") ? sprintf("%s / %s (%s)", mib(v(t, "rss_kb_1")), mib(v(t, "pss_kb_1")), note[t, "pss_kb_1"]) : cell(t, "pss_kb_1")
    m100 = has(t, "pss_kb_100") ? sprintf("%s / %s (%s)", mib(v(t, "rss_kb_100")), mib(v(t, "pss_kb_100")), note[t, "pss_kb_100"]) : cell(t, "pss_kb_100")
    id = has(t, "idle_ctxsw") ? med[t, "idle_ctxsw"] " / " med[t, "idle_cpu_ms"] : cell(t, "idle_ctxsw")
    lg = cell(t, "log_MBps"); if (has(t, "log_MBps")) lg = lg " " note[t, "log_MBps"]
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t, cell(t, "start_ms") (note[t, "start_ms"] != "" ? " (" note[t, "start_ms"] ")" : ""),
      cell(t, "ready_ms"), cell(t, "stop_ms"), cell(t, "restart_ms"), m1, m100, id, lg
  }
  print ""
  print "## Floors"
  print ""
  print "| floor | median [min-max] | n | note |"
  print "|---|---|---|---|"
  for (i = 1; i <= nt; i++) {
    t = order[i]; if (t !~ /^floor:/) continue
    if (has(t, "spawn_ms")) printf "| %s | %s ms | %s | %s |\n", t, cell(t, "spawn_ms"), n[t, "spawn_ms"], note[t, "spawn_ms"]
    if (has(t, "log_MBps")) printf "| %s | %s MB/s | %s | %s |\n", t, cell(t, "log_MBps"), n[t, "log_MBps"], note[t, "log_MBps"]
  }
  print ""
  print "## Versions"
  print ""
  for (k in mach) if (k ~ /^version_/) printf "- %s: %s\n", substr(k, 9), mach[k]
}' "$SUMMARY"
if [ -s "$OUT/gobench.txt" ]; then
  printf '\n## Go benchmarks of the hot paths\n\n```\n'
  grep -E '^(Benchmark|ok|FAIL|pkg:)' "$OUT/gobench.txt"
  printf '```\n'
fi
