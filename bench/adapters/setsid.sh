# setsid -f: the bare detach, a floor for daemonizers without a resident process.
t_version() { setsid --version | head -n1; }
t_start() { local n=$1 l=$2; shift 2; setsid -f "$@" >>"$l" 2>&1 </dev/null; }
t_stop() { kill "$(stamp_pid "$S/ready/$1.ready")"; }
