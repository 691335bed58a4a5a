#!/bin/sh
# serve-clients.sh with hybrid polling on (--poll-us 100): nbdinfo, nbdcopy
# in and out, fio with crc32c verify at queue depths 1, 16 and 64, qemu-img
# convert, trim and write zeroes, every byte checked against tgtd's backing
# file as without polling; and the status taken while a client was
# connected must show spins that found events (poll-status.py).
d=${top_srcdir:-$(dirname "$0")/../..}/tests/integration
ISN_SERVE_ARGS="--poll-us 100" ISN_SERVE_CHECK="python3 $d/poll-status.py" \
	exec "${SHELL:-/bin/sh}" "$d/serve-clients.sh"
