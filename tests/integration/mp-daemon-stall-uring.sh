#!/bin/sh
# mp-daemon-stall.sh (the daemon stopped for 3 s under load, twice; no
# path may fail) with --io-engine uring: the target's answers then wait
# as completions in the ring, or are handed over before the loop's next
# poll, where the loop's time is that of its last poll before the stop.
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
ISN_SERVE_ARGS='--io-engine uring'
export top_srcdir ISN_SERVE_ARGS
exec sh "$top_srcdir/tests/integration/mp-daemon-stall.sh"
