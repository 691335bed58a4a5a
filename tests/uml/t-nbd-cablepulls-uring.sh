#!/bin/bash
# t-nbd-cablepulls.sh (cable pulls under a verified ext4 write workload on
# /dev/nbd0, kernel path) with --io-engine uring: the kernel's NBD socket
# and both iSCSI connections on the daemon's io_uring, every pull closing a
# connection with operations in flight. 10 pulls unless CABLEPULLS says.
ISN_ATTACH_ARGS='--io-engine uring'
CABLEPULLS=${CABLEPULLS:-10}
export ISN_ATTACH_ARGS CABLEPULLS
exec bash "$(dirname "$0")/t-nbd-cablepulls.sh" "$@"
