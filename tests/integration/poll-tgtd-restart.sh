#!/bin/sh
# mp-tgtd-restart.sh with hybrid polling on: tgtd killed and started again
# under a write + crc32c verify fio load over two paths; I/O waits for the
# paths to come back and fio ends with no error. --coalesce-us 0 lets the
# loop spin at every queue depth; the status at the end must show spins
# that found events (poll-status.py).
d=${top_srcdir:-$(dirname "$0")/../..}/tests/integration
ISN_SERVE_ARGS="--poll-us 100 --coalesce-us 0" ISN_SERVE_CHECK="python3 $d/poll-status.py" \
	exec "${SHELL:-/bin/sh}" "$d/mp-tgtd-restart.sh"
