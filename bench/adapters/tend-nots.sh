# tend --no-timestamps: the log holds the bare lines (logs only).
TEND_FLAGS="--no-timestamps"
. "$BENCH/adapters/tend.sh"
