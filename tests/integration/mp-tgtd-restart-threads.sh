#!/bin/sh
# mp-tgtd-restart.sh with the NBD sockets on worker threads (--threads 3: two
# workers, the paths on the main loop): the same scenario, the same
# checks, every request crossing between the threads.
ISN_SERVE_ARGS="--threads 3" exec sh "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/mp-tgtd-restart.sh"
