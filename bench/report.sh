#!/bin/bash
# bench/report.sh: turns $OUT/summary.tsv and $OUT/machine.txt into the Markdown report
# (bench/run writes it to $OUT/RESULTS.md).
# Every tool of the run (machine.txt's tools=, plus the variants measured) gets a row in every table;
# a metric without a figure says why: "n/a (reason)" when it does not apply, "failed: reason" when
# the measurement failed, "no result" when measure.sh recorded nothing. Ratios are tend's median
# over the other tool's median.
. "$(dirname "$0")/lib.sh"
[ -s "$SUMMARY" ] || die "no $SUMMARY: run bench/run first"
awk -F'\t' -v machine="$OUT/machine.txt" '
function known(t, m) { return (t SUBSEP m) in med }
function has(t, m) { return known(t, m) && med[t, m] != "NA" && med[t, m] != "" }
function v(t, m) { return med[t, m] + 0 }
function mv(t, m) { return has(t, m) ? med[t, m] : "-" }
function esc(s) { gsub(/\|/, "\\|", s); return s }
# nofig(t, m): why t has no figure for m (long form).
function nofig(t, m,   s) {
  if (!known(t, m)) return (t in inrun) ? "**no result** (see the run log)" : "-"
  s = esc(note[t, m])
  if (s ~ /^FAILED: /) return "**failed**: " substr(s, 9)
  return "n/a" (s != "" ? " (" s ")" : "")
}
# short(t, m): the same, short, for the ratio cells.
function short(t, m,   s) {
  if (!known(t, m)) return (t in inrun) ? "no result" : "-"
  s = note[t, m]
  if (s ~ /^FAILED: /) return "failed"
  if (s ~ /^procs=/ || s == "") return "n/a"
  return "n/a (" esc(s) ")"
}
function cell(t, m,   s) {
  if (!has(t, m)) return nofig(t, m)
  s = med[t, m]
  if (n[t, m] > 1) s = s " [" lo[t, m] "-" hi[t, m] "]"
  return s
}
# ratio(a, t, m): a median over t median (a is tend or one of its variants), or why not.
function ratio(a, t, m) { return ratio2(a, m, t, m) }
# ratio2(a, ma, t, mt): a median of ma over t median of mt.
function ratio2(a, ma, t, mt,   q) {
  if (t == "") return "-"
  if (!has(a, ma)) return a " " short(a, ma)
  if (!has(t, mt)) return short(t, mt)
  if (v(t, mt) == 0) return (v(a, ma) == 0) ? "1 (both 0)" : med[a, ma] " vs 0"
  q = v(a, ma) / v(t, mt)
  return (q >= 0.1) ? sprintf("%.2f", q) : sprintf("%.2g", q)
}
function mib(kb) { return sprintf("%.2f", kb / 1024) }
# best(metric, dir): the supervising peer of the run with the lowest (dir<0) or highest (dir>0) median.
function best(m, dir,   i, t, b, bt) {
  bt = ""
  for (i = 1; i <= np; i++) {
    t = peers[i]
    if (!has(t, m)) continue
    if (bt == "" || (dir < 0 && v(t, m) < b) || (dir > 0 && v(t, m) > b)) { bt = t; b = v(t, m) }
  }
  return bt
}
function bestcell(m, dir,   b) { b = best(m, dir); return (b == "") ? "(no peer figure)" : b " " med[b, m] }
# each(a, m): a / every supervising peer of the run.
function each(a, m,   i, s) {
  s = ""
  for (i = 1; i <= np; i++) s = s (s == "" ? "" : "; ") peers[i] " " ratio(a, peers[i], m)
  return (s == "") ? "(no supervising peer in the run)" : s
}
# lacking(list, m): the tools of the space-separated list without a figure for m.
function lacking(list, m,   k, a, s) {
  s = ""
  split(list, a, " ")
  for (k in a) if (a[k] != "" && !has(a[k], m)) s = s (s == "" ? "" : ", ") a[k]
  return s
}
function allpeers(   i, s) { s = ""; for (i = 1; i <= np; i++) s = s " " peers[i]; return s }
function verdict(c, miss) { return (miss != "") ? "**no data** (" miss ")" : (c ? "**met**" : "**missed**") }
BEGIN {
  while ((getline line < machine) > 0) { k = line; sub(/:.*/, "", k); val = line; sub(/^[^:]*: /, "", val); mach[k] = val }
}
{ med[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5; n[$1, $2] = $6; note[$1, $2] = $7
  if (!($1 in seen)) { seen[$1] = 1; sorder[++ns] = $1 } }
END {
  # The tools: those of the run (tools= in machine.txt), then the variants measured (tend-nots ...).
  run = mach["args"]; sub(/.*tools=/, "", run)
  nr = split(run, rt, " ")
  # A tool of the run lacking a metric has "no result"; a variant (tend-nots, measured for one
  # metric only) has "-" for the others.
  for (i = 1; i <= nr; i++) if (!(rt[i] in listed)) { listed[rt[i]] = 1; inrun[rt[i]] = 1; order[++nt] = rt[i] }
  for (i = 1; i <= ns; i++) if (sorder[i] !~ /^floor:/ && !(sorder[i] in listed)) { listed[sorder[i]] = 1; order[++nt] = sorder[i] }
  np = 0
  split("daemon s6 runit supervisord pm2", sp, " ")
  for (i = 1; i <= 5; i++) if (sp[i] in listed) peers[++np] = sp[i]

  print "# tend benchmark results"
  print ""
  printf "Run %s on %s vCPU (%s), %s, Linux %s, %s, state on %s; %s. Load average before %s, after %s.\n",
    mach["date"], mach["nproc"], mach["cpu"], mach["mem"], mach["kernel"], mach["os"], mach["fs"], mach["go"], mach["load_before"], mach["load_after"]
  printf "Parameters: %s; tend at %s.\n\n", mach["args"], mach["tend"]
  print "## Against the targets"
  print ""
  print "Supervising peers in this run:" allpeers() ". Floors: gofloor is a minimal resident Go supervisor"
  print "(bench/src/gofloor.go: re-exec twice with setsid, start the child, restart it, no state);"
  print "fork+execve+wait is bench/src/spawnfloor.c; the direct write is the same child writing straight to a file."
  print "Ratios are tend median / other median (below 1: tend lower; for log MB/s above 1: tend faster)."
  print ""
  print "| figure | tend | best supervising peer | tend / best | tend / each supervising peer | floor | tend / floor | target | verdict |"
  print "|---|---|---|---|---|---|---|---|---|"
  # start
  # Issue 15: start at most the one of libslack daemon and at most 1.5x runit sv up.
  m = "start_ms"; b = best(m, -1)
  for (k = 1; k <= 2; k++) {
    t = (k == 1) ? "tend" : "tend-exec"
    lbl = (k == 1) ? "start, ms (defaults: returns once the program has settled)" : "start, ms, tend --ready exec (returns once executed)"
    if (k == 2 && !known(t, m)) continue
    c = has(t, m) && v(t, m) <= v("daemon", m) && v(t, m) <= 1.5 * v("runit", m)
    printf "| %s | %s | %s | %s | %s | gofloor %s; fork+exec %s | %s; %s | <= daemon, <= 1.5x runit | %s |\n", lbl,
      cell(t, m), bestcell(m, -1), ratio(t, b, m), each(t, m), mv("gofloor", m),
      mv("floor:fork+execve+wait", "spawn_ms"), ratio(t, "gofloor", m),
      ratio2(t, m, "floor:fork+execve+wait", "spawn_ms"), verdict(c, lacking(t " daemon runit", m))
  }
  # ready
  m = "ready_ms"; b = best(m, -1)
  if (has("tend", m))
    printf "| start with readiness (fd 3), ms | %s | %s | %s | %s | gofloor start %s | %s | (none) | - |\n",
      cell("tend", m), bestcell(m, -1), ratio("tend", b, m), each("tend", m), mv("gofloor", "start_ms"),
      ratio2("tend", m, "gofloor", "start_ms")
  else
    printf "| start with readiness, ms | %s | | | | | | | - |\n", nofig("tend", m)
  # stop
  m = "stop_ms"; b = best(m, -1)
  c = has("tend", m) && v("tend", m) <= 1.25 * v("daemon", m)
  printf "| stop, ms | %s | %s | %s | %s | gofloor %s; kill+wait (setsid) %s | %s; %s | <= 1.25x daemon | %s |\n",
    cell("tend", m), bestcell(m, -1), ratio("tend", b, m), each("tend", m), mv("gofloor", m), mv("setsid", m),
    ratio("tend", "gofloor", m), ratio("tend", "setsid", m), verdict(c, lacking("tend daemon", m))
  # restart
  m = "restart_ms"; b = best(m, -1)
  for (k = 1; k <= 2; k++) {
    t = (k == 1) ? "tend" : "tend-nobackoff"
    lbl = (k == 1) ? "first restart after kill -9, ms (defaults: first restart at once)" : "first restart, ms, tend --backoff 1ns"
    if (k == 2 && !known(t, m)) continue
    c = has(t, m) && b != "" && v(t, m) <= 1.5 * v(b, m)
    printf "| %s | %s | %s | %s | %s | gofloor %s | %s | <= 1.5x best peer | %s |\n", lbl,
      cell(t, m), bestcell(m, -1), ratio(t, b, m), each(t, m), mv("gofloor", m), ratio(t, "gofloor", m),
      verdict(c, lacking(t " " b, m))
  }
  # memory
  m = "pss_kb_100"; b = best(m, -1)
  c = has("tend", m) && v("tend", m) <= 1.3 * v("gofloor", m)
  printf "| PSS per daemon (100 daemons), MiB | %s | %s | %s | %s | gofloor %s | %s | <= 1.3x gofloor | %s |\n",
    (has("tend", m) ? sprintf("%.3f", v("tend", m) / 102400) : nofig("tend", m)),
    (b == "" ? "(no peer figure)" : sprintf("%s %.3f", b, v(b, m) / 102400)), ratio("tend", b, m), each("tend", m),
    (has("gofloor", m) ? sprintf("%.3f", v("gofloor", m) / 102400) : "-"), ratio("tend", "gofloor", m),
    verdict(c, lacking("tend gofloor", m))
  m = "pss_kb_1"; b = best(m, -1)
  printf "| PSS, 1 daemon, MiB | %s | %s | %s | %s | gofloor %s | %s | - | - |\n",
    (has("tend", m) ? mib(v("tend", m)) : nofig("tend", m)), (b == "" ? "(no peer figure)" : b " " mib(v(b, m))),
    ratio("tend", b, m), each("tend", m), (has("gofloor", m) ? mib(v("gofloor", m)) : "-"), ratio("tend", "gofloor", m)
  # idle
  m = "idle_ctxsw"; b = best(m, -1)
  c = has("tend", m) && v("tend", m) == 0
  printf "| idle: context switches (wake-ups) / CPU ms in the window | %s | %s | %s | %s | gofloor %s / %s | - | 0 wake-ups | %s |\n",
    (has("tend", m) ? med["tend", m] " / " med["tend", "idle_cpu_ms"] : nofig("tend", m)),
    (b == "" ? "(no peer figure)" : b " " med[b, m] " / " med[b, "idle_cpu_ms"]), ratio("tend", b, m), each("tend", m),
    mv("gofloor", m), mv("gofloor", "idle_cpu_ms"), verdict(c, lacking("tend", m))
  # log
  m = "log_MBps"; b = best(m, 1)
  for (k = 1; k <= 2; k++) {
    t = (k == 1) ? "tend" : "tend-nots"
    lbl = (k == 1) ? "log capture, MB/s (timestamp+stream prefix)" : "log capture, MB/s, --no-timestamps"
    if (k == 2 && !known(t, m)) continue
    lost = (note[t, m] ~ /MISSING/)
    want = (k == 1) ? 0.75 : 0.9
    c = has(t, m) && v(t, m) >= want * v("floor:file", m) && !lost
    printf "| %s | %s (%s) | %s | %s | %s | direct write %s; Go io.Copy %s | %s | >= %.2fx direct, no line lost | %s |\n", lbl,
      cell(t, m), (has(t, m) ? esc(note[t, m]) : "-"), bestcell(m, 1), ratio(t, b, m), each(t, m),
      mv("floor:file", m), mv("gofloor-pipe", m), ratio2(t, m, "floor:file", m), want, verdict(c, lacking(t " floor:file", m))
  }
  print ""
  print "## The targets of the host (issue 20)"
  print ""
  print "| target | tend | against | ratio | verdict |"
  print "|---|---|---|---|---|"
  m = "pss_kb_100"
  printf "| PSS per daemon, 100 sleeping daemons <= libslack daemon | %s MiB | daemon %s MiB | %s | %s |\n",
    (has("tend", m) ? sprintf("%.3f", v("tend", m) / 102400) : nofig("tend", m)),
    (has("daemon", m) ? sprintf("%.3f", v("daemon", m) / 102400) : "-"), ratio("tend", "daemon", m),
    verdict(has("tend", m) && v("tend", m) <= v("daemon", m), lacking("tend daemon", m))
  m = "pss_kb_1000"
  printf "| PSS per daemon, 1,000 sleeping daemons <= 64 KiB | %s KiB | daemon %s KiB | %s | %s |\n",
    (has("tend", m) ? sprintf("%.1f", v("tend", m) / 1000) : nofig("tend", m)),
    (has("daemon", m) ? sprintf("%.1f", v("daemon", m) / 1000) : "-"), ratio("tend", "daemon", m),
    verdict(has("tend", m) && v("tend", m) / 1000 <= 64, lacking("tend", m))
  m = "start_ms"
  printf "| start <= libslack daemon and runit sv up | %s ms | daemon %s, runit %s | %s, %s | %s |\n",
    mv("tend", m), mv("daemon", m), mv("runit", m), ratio("tend", "daemon", m), ratio("tend", "runit", m),
    verdict(has("tend", m) && v("tend", m) <= v("daemon", m) && v("tend", m) <= v("runit", m), lacking("tend daemon runit", m))
  m = "stop_ms"
  printf "| stop <= 1.25x libslack daemon | %s ms | daemon %s | %s | %s |\n", mv("tend", m), mv("daemon", m),
    ratio("tend", "daemon", m), verdict(has("tend", m) && v("tend", m) <= 1.25 * v("daemon", m), lacking("tend daemon", m))
  m = "restart_ms"; b = best(m, -1)
  printf "| first restart <= the best peer | %s ms | %s %s | %s | %s |\n", mv("tend", m), b, mv(b, m),
    ratio("tend", b, m), verdict(has("tend", m) && v("tend", m) <= v(b, m), lacking("tend " b, m))
  printf "| tend up of 200 daemons, beside 200 fork+execs | %s ms | %s ms | %s | (timed) |\n",
    mv("tend", "up200_ms"), mv("floor:fork+execve", "spawn200_ms"), ratio2("tend", "up200_ms", "floor:fork+execve", "spawn200_ms")
  printf "| tend stop --all of 1,000 daemons, beside 1,000 fork+execs | %s ms | %s ms | %s | (timed) |\n",
    mv("tend", "stopall1000_ms"), mv("floor:fork+execve", "spawn1000_ms"), ratio2("tend", "stopall1000_ms", "floor:fork+execve", "spawn1000_ms")
  printf "| idle wake-ups of the host, 1 daemon / 1,000 daemons (the same, the Go runtime aside) | %s / %s | - | - | %s |\n",
    mv("tend", "idle_ctxsw"), mv("tend", "idle_ctxsw_1000"),
    verdict(has("tend", "idle_ctxsw_1000") && v("tend", "idle_ctxsw_1000") <= v("tend", "idle_ctxsw") + 2, lacking("tend", "idle_ctxsw_1000"))
  print ""
  print "## Every tool (median [min-max])"
  print ""
  print "Latencies in ms (n runs each, see raw/); memory summed over the resident processes, children excluded;"
  print "idle over the whole window with one sleeping child; log MB/s of payload (10^6 B/s)."
  print ""
  print "| tool | start | start, ready | stop | first restart | RSS / PSS MiB, 1 daemon | RSS / PSS MiB, 100 daemons | idle ctxsw / CPU ms | log MB/s |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nt; i++) {
    t = order[i]
    if (!(t in seen)) { printf "| %s | **no result at all** (see the run log) | | | | | | | |\n", t; continue }
    m1 = has(t, "pss_kb_1") ? sprintf("%s / %s (%s)", mib(v(t, "rss_kb_1")), mib(v(t, "pss_kb_1")), note[t, "pss_kb_1"]) : nofig(t, "pss_kb_1")
    m100 = has(t, "pss_kb_100") ? sprintf("%s / %s (%s)", mib(v(t, "rss_kb_100")), mib(v(t, "pss_kb_100")), note[t, "pss_kb_100"]) : nofig(t, "pss_kb_100")
    id = has(t, "idle_ctxsw") ? med[t, "idle_ctxsw"] " / " med[t, "idle_cpu_ms"] : nofig(t, "idle_ctxsw")
    lg = cell(t, "log_MBps"); if (has(t, "log_MBps")) lg = lg " " esc(note[t, "log_MBps"])
    st = cell(t, "start_ms"); if (has(t, "start_ms") && note[t, "start_ms"] != "") st = st " (" esc(note[t, "start_ms"]) ")"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t, st,
      cell(t, "ready_ms"), cell(t, "stop_ms"), cell(t, "restart_ms"), m1, m100, id, lg
  }
  print ""
  print "## tend / each tool (ratio of medians)"
  print ""
  print "tend median / the tool median, tend with its defaults (restart: tend; log: tend, with timestamps; tend-nobackoff"
  print "and tend-nots have their own rows above). Below 1: tend lower, which is better for all but log MB/s,"
  print "where above 1 means tend is faster. PSS is the total over the resident processes."
  print ""
  print "| tool | start | start, ready | stop | first restart | PSS, 1 daemon | PSS, 100 daemons | idle ctxsw | log MB/s |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nt; i++) {
    t = order[i]; if (t ~ /^tend/) continue
    if (!(t in seen)) { printf "| %s | no result at all | | | | | | | |\n", t; continue }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t, ratio("tend", t, "start_ms"), ratio("tend", t, "ready_ms"),
      ratio("tend", t, "stop_ms"), ratio("tend", t, "restart_ms"), ratio("tend", t, "pss_kb_1"), ratio("tend", t, "pss_kb_100"),
      ratio("tend", t, "idle_ctxsw"), ratio("tend", t, "log_MBps")
  }
  print ""
  print "## Floors"
  print ""
  print "| floor | median [min-max] | n | note |"
  print "|---|---|---|---|"
  for (i = 1; i <= ns; i++) {
    t = sorder[i]; if (t !~ /^floor:/) continue
    if (has(t, "spawn_ms")) printf "| %s | %s ms | %s | %s |\n", t, cell(t, "spawn_ms"), n[t, "spawn_ms"], note[t, "spawn_ms"]
    if (has(t, "log_MBps")) printf "| %s | %s MB/s | %s | %s |\n", t, cell(t, "log_MBps"), n[t, "log_MBps"], note[t, "log_MBps"]
  }
  print ""
  print "## Notes"
  print ""
  split(mach["load_before"], la, " "); split(mach["load_after"], lb, " ")
  if (la[1] + 0 > 0.5 * mach["nproc"] || lb[1] + 0 > 0.5 * mach["nproc"])
    printf "- The machine was busy (load average %s before the run, %s after, on %s vCPU): absolute figures are slower and noisier than on an idle machine; compare tools within this run.\n", la[1], lb[1], mach["nproc"]
  if ("daemon" in listed)
    print "- daemon (libslack): run by root, it refuses to execute a program under a group- or world-writable directory (sticky /tmp too) and exits 1; when bench/ lies under one, the adapter runs the workload from a copy in a root-only directory and says so in the start note. Its respawn floor is --acceptable/--delay 10 s."
  if ("pm2" in listed) {
    print "- pm2: its God daemon (node) is started before the first measured start, untimed (`pm2 ping`; its start-up is in the start note): pm2 starts it once per boot, not per app, as supervisord is started before `supervisorctl start`. Start and stop figures are the pm2 CLI (a node start-up) plus an RPC; `pm2 start` of a stopped name restarts it."
    print "- pm2: no readiness figure (its --wait-ready is Node IPC, process.send(\"ready\"), not an fd); the memory test starts its apps from one ecosystem file (`pm2 start apps.json`), untimed; memory and idle count the God daemon, not the apps; the log has no prefix (no --time), both streams in one file (-o LOG -e LOG)."
  }
  if ("supervisord" in listed || "s6" in listed)
    print "- supervisord and s6 respawn a killed child only after about 1 s; runit `sv up`/`sv down` do not wait (`sv start`/`sv stop` poll every 420 ms) and runsv starts a service at most once a second (start/stop paused 1.1 s)."
  print ""
  print "## Versions"
  print ""
  for (k in mach) if (k ~ /^version_/) printf "- %s: %s\n", substr(k, 9), mach[k]
}' "$SUMMARY"
if [ -s "$OUT/breakdown.txt" ]; then
  printf '\n## Where tend start and tend stop spend their time (bench/breakdown.sh, perf trace)\n\n'
  printf 'Median ms since the command was invoked, 20 cycles traced (tracing slows every system call, so\n'
  printf 'the totals are above the figures of the tables).\n\n```\n'
  cat "$OUT/breakdown.txt"
  printf '```\n'
fi
if [ -s "$OUT/gobench.txt" ]; then
  printf '\n## Go benchmarks of the hot paths\n\n```\n'
  grep -E '^(Benchmark|ok|FAIL|pkg:)' "$OUT/gobench.txt"
  printf '```\n'
fi
