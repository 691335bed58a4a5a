#!/bin/bash
# t-nbd-restart.sh with the kernel sockets on a worker thread: both
# daemons run with --threads 2 and two sockets (RESTART_CONNS=2), so the
# SIGKILLed daemon's worker dies with it and the restarted one's worker
# takes the sockets the kernel hands back (RECONFIGURE).
# The daemon is fast enough here that dd finished its 48 MiB in the
# moment between the test's check and the kill (2 of 5 runs): 160 MiB.
export UML_NAME=t-nbd-restart-threads ISN_ATTACH_THREADS=2 RESTART_CONNS=2 RESTART_MB=160
exec bash "$(dirname "$0")/t-nbd-restart.sh" "$@"
