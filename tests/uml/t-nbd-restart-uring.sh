#!/bin/bash
# t-nbd-restart.sh (the daemon SIGKILLed under a writing dd and a second one
# taking /dev/nbd0 back with RECONFIGURE) with --io-engine uring in both
# daemons.
ISN_ATTACH_ARGS='--io-engine uring'
export ISN_ATTACH_ARGS
exec bash "$(dirname "$0")/t-nbd-restart.sh" "$@"
