# gofloor -pipe: the Go floor of output capture, io.Copy from a pipe into the log (logs only).
GOFLOOR_PIPE=1
. "$BENCH/adapters/gofloor.sh"
CAPTURES=1
