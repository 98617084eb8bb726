# tend --backoff 1ns: restarts with no delay at all (before this session the default first restart waited 100 ms), to show the
# restart path's own latency (restart only).
TEND_FLAGS="--backoff 1ns"
. "$BENCH/adapters/tend.sh"
