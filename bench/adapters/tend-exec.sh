# tend --ready exec: tend start returns once the command has been executed, without the watch that
# the default start adds until the program has settled (internal/startwatch, in the host) (start and stop only).
TEND_FLAGS="--ready exec"
. "$BENCH/adapters/tend.sh"
