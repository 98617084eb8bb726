# s6: s6-svscan, plus s6-supervise (and s6-log) per service; start/stop wait for the state change.
# Readiness: notification-fd 3, start with s6-svc -wU.
SUPERVISES=1 RESIDENT=1 CAPTURES=1 READY=1
t_version() { echo "s6 $(dpkg-query -W -f '${Version}' s6 2>/dev/null)"; }
t_setup() {
  mkdir -p "$S/scan"
  s6-svscan "$S/scan" </dev/null >/dev/null 2>&1 &
  echo $! > "$S/svscan.pid"
}
t_add() {
  local n=$1 l=$2; shift 2
  local d=$S/svc/$n
  mkdir -p "$d/log" "$l.d"
  touch "$d/down"
  printf '#!/bin/sh\nexec 2>&1\nexec %s\n' "$(printf '%q ' "$@")" > "$d/run"
  printf '#!/bin/sh\nexec s6-log n2 s268435455 %q\n' "$l.d" > "$d/log/run"
  chmod +x "$d/run" "$d/log/run"
  case "$*" in *" notify 3 "*) echo 3 > "$d/notification-fd" ;; esac
  ln -s "$d" "$S/scan/$n"
  s6-svscanctl -a "$S/scan"
  local i
  for i in $(seq 500); do s6-svok "$d" 2>/dev/null && s6-svok "$d/log" 2>/dev/null && return 0; sleep 0.01; done
  say "s6: $n not supervised"
}
t_start() { s6-svc -wu -T 10000 -u "$S/svc/$1"; }
t_start_ready() { s6-svc -wU -T 10000 -u "$S/svc/$1"; }
t_stop() { s6-svc -wd -T 10000 -d "$S/svc/$1"; }
t_remove() { rm -f "$S/scan/$1"; s6-svscanctl -an "$S/scan"; }
t_logfile() { echo "$2.d/current"; }
t_pids() {
  local p; p=$(cat "$S/svscan.pid" 2>/dev/null) || return 0
  echo "$p"; pgrep -P "$p" -x 's6-supervise'
}
t_teardown() {
  local p; p=$(cat "$S/svscan.pid" 2>/dev/null) || return 0
  s6-svscanctl -t "$S/scan" 2>/dev/null
  tail --pid="$p" -f /dev/null 2>/dev/null & local w=$!; sleep 0.1
  (sleep 5; kill "$w" 2>/dev/null) & wait "$w" 2>/dev/null
}
