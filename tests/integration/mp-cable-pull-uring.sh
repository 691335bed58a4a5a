#!/bin/sh
# mp-cable-pull.sh (cable pulls under a verifying fio load, two paths)
# with --io-engine uring: every pull closes a connection with its receive
# and maybe a send in flight on the ring, and nothing may be lost or
# misplaced.
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
ISN_SERVE_ARGS='--io-engine uring'
export top_srcdir ISN_SERVE_ARGS
exec sh "$top_srcdir/tests/integration/mp-cable-pull.sh"
