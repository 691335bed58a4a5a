#!/bin/bash
# t-nbd-cablepulls.sh with the kernel sockets on a worker thread:
# --connections 4 --threads 2 (one worker serves the four sockets, the
# paths stay on the main loop). The same verified write workload under
# the same cable pulls, every request crossing between the threads.
export UML_NAME=t-nbd-cablepulls-threads ISN_ATTACH_THREADS=2 ISN_ATTACH_CONNS=4
exec bash "$(dirname "$0")/t-nbd-cablepulls.sh" "$@"
