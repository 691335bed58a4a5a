#!/bin/sh
# serve-clients.sh (nbdcopy, fio with 4k-1m blocks at QD 1-64 and crc32c
# verify, qemu-img convert, nbdsh trims and zeroes, every byte checked
# against tgtd's backing file) with --io-engine uring: the data round trip
# of the io_uring engine, 256 KiB Data-In received straight into the
# request's buffer and 1 MiB WRITE payloads straight into the pool's.
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
ISN_SERVE_ARGS='--io-engine uring'
export top_srcdir ISN_SERVE_ARGS
exec sh "$top_srcdir/tests/integration/serve-clients.sh"
