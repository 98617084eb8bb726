# gofloor (src/gofloor.go): the Go floor, a minimal resident Go supervisor; GOFLOOR_PIPE=1 makes it
# copy the output through a pipe (gofloor-pipe.sh).
SUPERVISES=1 RESIDENT=1
t_version() { echo "gofloor, $(go version | awk '{print $3}')"; }
t_start() {
  local n=$1 l=$2; shift 2
  "$BIN/gofloor" start ${GOFLOOR_PIPE:+-pipe} -pidfile "$S/$n.pid" -log "$l" -- "$@"
}
t_stop() { "$BIN/gofloor" stop "$S/$1.pid"; }
t_pids() { pids_from_files "$S"/*.pid; }
