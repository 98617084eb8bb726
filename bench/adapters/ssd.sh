# start-stop-daemon (dpkg): detaches the command and exits; stop signals the pid in the pidfile.
t_version() { echo "start-stop-daemon (dpkg $(dpkg-query -W -f '${Version}' dpkg))"; }
t_start() {
  local n=$1 l=$2 c=$3; shift 3
  start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$S/$n.pid" --output "$l" --exec "$c" -- "$@"
}
t_stop() { start-stop-daemon --stop --quiet --pidfile "$S/$1.pid" --retry TERM/5/KILL/2 --remove-pidfile; }
