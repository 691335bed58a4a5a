#!/bin/sh
# mp-cable-pull.sh with hybrid polling on: cable 1, cable 2, then both
# pulled and plugged back under a write + crc32c verify fio load, which
# must end with no error. --coalesce-us 0 lets the loop spin at every queue
# depth of that load (with coalescing, 16 or more in flight never spins);
# the status at the end must show spins that found events (poll-status.py).
d=${top_srcdir:-$(dirname "$0")/../..}/tests/integration
ISN_SERVE_ARGS="--poll-us 100 --coalesce-us 0" ISN_SERVE_CHECK="python3 $d/poll-status.py" \
	exec "${SHELL:-/bin/sh}" "$d/mp-cable-pull.sh"
