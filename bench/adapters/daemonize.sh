# daemonize: detaches the command and exits; no resident process, no stop command (kill the pid).
t_version() { echo "daemonize $(dpkg-query -W -f '${Version}' daemonize 2>/dev/null)"; }
t_start() { local n=$1 l=$2; shift 2; daemonize -p "$S/$n.pid" -o "$l" -e "$l" "$@"; }
t_stop() { kill "$(cat "$S/$1.pid")"; }
