# tend --backoff 1ns: restarts without tend's default 100 ms first-restart delay, to show the
# restart path's own latency (restart only).
TEND_FLAGS="--backoff 1ns"
. "$BENCH/adapters/tend.sh"
