# supervisord (Debian package "supervisor"): one resident Python daemon for all programs,
# driven by supervisorctl over a unix socket.
SUPERVISES=1 RESIDENT=1 CAPTURES=1
t_version() { echo "supervisord $(supervisord --version 2>/dev/null)"; }
SCONF=$S/supervisord.conf
t_setup() {
  mkdir -p "$S/conf.d"
  cat > "$SCONF" <<CONF
[unix_http_server]
file=$S/supervisor.sock
chmod=0700
[supervisord]
logfile=$S/supervisord.log
pidfile=$S/supervisord.pid
childlogdir=$S/logs
nodaemon=false
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$S/supervisor.sock
[include]
files=$S/conf.d/*.conf
CONF
  supervisord -c "$SCONF"
  local i; for i in $(seq 500); do [ -S "$S/supervisor.sock" ] && [ -s "$S/supervisord.pid" ] && break; sleep 0.02; done
}
t_add() {
  local n=$1 l=$2; shift 2
  cat > "$S/conf.d/$n.conf" <<CONF
[program:$n]
command=$(printf '%q ' "$@")
autostart=false
autorestart=true
startsecs=0
startretries=1000
redirect_stderr=true
stdout_logfile=$l
stdout_logfile_maxbytes=0
CONF
}
t_commit() { supervisorctl -c "$SCONF" update >/dev/null; }
t_start() { supervisorctl -c "$SCONF" start "$1"; }
t_stop() { supervisorctl -c "$SCONF" stop "$1"; }
t_remove() { rm -f "$S/conf.d/$1.conf"; }
t_pids() { pids_from_files "$S/supervisord.pid"; }
t_teardown() {
  local p; p=$(cat "$S/supervisord.pid" 2>/dev/null) || return 0
  supervisorctl -c "$SCONF" shutdown >/dev/null 2>&1
  tail --pid="$p" -f /dev/null & local w=$!
  (sleep 10; kill "$w" 2>/dev/null) & wait "$w" 2>/dev/null
}
