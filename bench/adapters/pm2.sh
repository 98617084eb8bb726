# pm2 (Node.js; npm package "pm2", which bench/run installs into the private prefix $NPM_PREFIX,
# never globally): one resident "God" daemon (node) for all apps, driven by the pm2 CLI (a node
# process per command) over unix sockets in PM2_HOME. PM2_HOME is $S/home, under the bench's state
# root: the user's ~/.pm2 is never read or touched. Never run pm2 without PM2_HOME set: every pm2
# command, even `pm2 --version`, spawns a God daemon in PM2_HOME when none answers there.
#
# How each metric is taken, and what it leaves out:
#  - start: `pm2 start CMD --name N --interpreter none --restart-delay 0 --no-vizion -s -o LOG -e LOG
#    -- ARGS`; autorestart is on (pm2's default), so SUPERVISES=1. The God daemon is started untimed
#    by t_setup (`pm2 ping`): pm2 starts it once per boot, not per app, the way supervisord is
#    started before `supervisorctl start`. Its start-up is not in any figure; t_setup times it and
#    the start note shows it. Later starts of the same name restart the stopped app.
#  - stop: `pm2 stop N` (SIGINT; the workload dies of it at once). t_remove is `pm2 delete N`.
#  - restart: pm2 respawns at once with --restart-delay 0 (the workload runs 1.2 s before each kill,
#    longer than pm2's min_uptime of 1 s, so no kill counts as an unstable restart).
#  - readiness: pm2's --wait-ready waits for process.send('ready') over Node's IPC channel, which only
#    a Node app can send; it has no fd protocol, so READY=0 (no ready figure).
#  - memory and idle: the God daemon (pid in $PM2_HOME/pm2.pid) and any child of it that is not a
#    workload; the apps are its children and are not counted. The memory test (untimed) starts its K
#    apps from one ecosystem file (BATCH=1: `pm2 start FILE.json`, then `pm2 delete all`), as pm2 users
#    start many apps; K CLI start-ups would add nothing to the God daemon's memory.
#  - log: -o LOG -e LOG puts both streams into the one file, with no prefix (no --time), so the log is
#    100 B a line. The God daemon reads the app's pipe and writes the file.
#  - teardown: SIGTERM to the God daemon's pid (it stops its apps and exits); after 10 s, SIGKILL to it
#    and to the apps it had (pids taken before the signal).
SUPERVISES=1 RESIDENT=1 CAPTURES=1 BATCH=1
PM2=${PM2:-$NPM_PREFIX/bin/pm2}
[ -x "$PM2" ] || PM2=$(command -v pm2 2>/dev/null || echo "$PM2")
export PM2_HOME=$S/home
t_version() {
  # From its package.json: running pm2 for its version would spawn a God daemon.
  local pj; pj=$(dirname "$(readlink -f "$PM2")")/../package.json
  echo "pm2 $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pj" | head -n1) (node $(node --version 2>/dev/null))"
}
t_setup() {
  mkdir -p "$PM2_HOME"
  now_us; local t0=$REPLY
  "$PM2" ping >/dev/null 2>&1 || say "pm2: ping failed (God daemon not started)"
  now_us
  NOTE_START="God daemon started before, untimed (pm2 ping: $(((REPLY - t0) / 1000)) ms)"
}
t_add() {
  # Kept for t_start_all (the memory test's ecosystem file).
  local n=$1 l=$2 c=$3 a; shift 3
  local args=""; for a in "$@"; do args="$args${args:+, }\"$a\""; done
  printf '{"name": "%s", "script": "%s", "args": [%s], "interpreter": "none", "out_file": "%s", "error_file": "%s", "restart_delay": 0, "vizion": false}\n' \
    "$n" "$c" "$args" "$l" "$l" >> "$S/apps.jsonl"
}
t_start() {
  local n=$1 l=$2 c=$3; shift 3
  "$PM2" start "$c" --name "$n" --interpreter none --restart-delay 0 --no-vizion -s -o "$l" -e "$l" -- "$@"
}
t_stop() { "$PM2" stop -s "$1"; }
t_remove() { "$PM2" delete -s "$1" >/dev/null 2>&1; sed -i "/^{\"name\": \"$1\",/d" "$S/apps.jsonl" 2>/dev/null; return 0; }
t_start_all() {
  { echo '{"apps": ['; sed '$!s/$/,/' "$S/apps.jsonl"; echo ']}'; } > "$S/apps.json"
  "$PM2" start -s "$S/apps.json"
}
t_stop_all() { "$PM2" delete -s all; : > "$S/apps.jsonl"; }
pm2_god() { local p; p=$(head -n1 "$PM2_HOME/pm2.pid" 2>/dev/null) && [ -n "$p" ] && [ -d "/proc/$p" ] && echo "$p"; }
t_pids() {
  local g; g=$(pm2_god) || return 0
  echo "$g"
  ps -o pid=,comm= --ppid "$g" | awk '$2 != "bh" { print $1 }'
}
t_teardown() {
  local g apps; g=$(pm2_god) || return 0
  apps=$(ps -o pid= --ppid "$g")
  kill -TERM "$g" 2>/dev/null
  if ! "$BH" waitgone "$g" 10000 >/dev/null 2>&1; then
    say "pm2: God daemon $g alive 10 s after SIGTERM: SIGKILL to it and its apps"
    kill -KILL "$g" $apps 2>/dev/null
    "$BH" waitgone "$g" 5000 >/dev/null 2>&1
  fi
  return 0
}
