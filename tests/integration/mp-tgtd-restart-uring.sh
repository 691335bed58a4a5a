#!/bin/sh
# mp-tgtd-restart.sh (the target killed and restarted under a verifying
# fio load) with --io-engine uring: both connections die with operations
# in flight on the ring and reconnect on it.
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
ISN_SERVE_ARGS='--io-engine uring'
export top_srcdir ISN_SERVE_ARGS
exec sh "$top_srcdir/tests/integration/mp-tgtd-restart.sh"
