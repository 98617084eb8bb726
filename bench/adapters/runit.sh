# runit: runsvdir, plus runsv (and svlogd) per service. `sv up`/`sv down` return at once (the
# timing still waits for the child to run or be gone); `sv start`/`sv stop` poll every 420 ms.
# runsv does not start a service again within 1 s of its last start: bench/run pauses 1.1 s.
SUPERVISES=1 RESIDENT=1 CAPTURES=1
NOTE_START="sv up (sv start: ~420 ms poll)"
t_version() { echo "runit $(dpkg-query -W -f '${Version}' runit 2>/dev/null)"; }
t_setup() {
  mkdir -p "$S/scan"
  runsvdir -P "$S/scan" </dev/null >/dev/null 2>&1 &
  echo $! > "$S/runsvdir.pid"
}
t_add() {
  local n=$1 l=$2; shift 2
  local d=$S/svc/$n
  mkdir -p "$d/log" "$l.d"
  touch "$d/down"
  printf '#!/bin/sh\nexec 2>&1\nexec %s\n' "$(printf '%q ' "$@")" > "$d/run"
  printf '#!/bin/sh\nexec svlogd %q\n' "$l.d" > "$d/log/run"
  echo s0 > "$l.d/config"
  chmod +x "$d/run" "$d/log/run"
  ln -s "$d" "$S/scan/$n"
  local i
  for i in $(seq 1000); do sv status "$d" >/dev/null 2>&1 && sv status "$d/log" >/dev/null 2>&1 && return 0; sleep 0.01; done
  say "runit: $n not supervised"
}
t_start() { sv up "$S/svc/$1"; }
t_stop() { sv down "$S/svc/$1"; }
t_remove() { sv exit "$S/svc/$1" "$S/svc/$1/log" >/dev/null 2>&1; rm -f "$S/scan/$1"; }
t_logfile() { echo "$2.d/current"; }
t_pids() {
  local p c; p=$(cat "$S/runsvdir.pid" 2>/dev/null) || return 0
  echo "$p"
  for c in $(pgrep -P "$p" -x runsv); do echo "$c"; pgrep -P "$c" -x svlogd; done
}
t_teardown() {
  local p; p=$(cat "$S/runsvdir.pid" 2>/dev/null) || return 0
  kill -HUP "$p" 2>/dev/null  # runsvdir: HUP = stop all runsv, then exit
  sleep 0.3
}
