#!/bin/bash
# t-nbd-restart.sh with hybrid polling on (--poll-us 100 for both daemons):
# /dev/nbd0 with ext4, the daemon SIGKILLed under an O_DIRECT dd and
# restarted with RECONFIGURE; no I/O error, the file verifies, e2fsck is
# clean. The restarted daemon's status must show polling on. Whether it
# spins is not asked: in a one-CPU guest, where every system call is slow,
# events come hundreds of microseconds apart, past the window, and the
# tuner rightly sleeps (bench/poll-uml-guest.sh measured 0 spins at 4 KiB
# QD1); the host wrappers (tests/integration/poll-*.sh) require spins.
d=$(cd "$(dirname "$0")" && pwd)
UML_NAME=t-nbd-poll-restart ISN_ATTACH_ARGS="--poll-us 100" \
	ISN_ATTACH_EXPECT="^  polling up to 100 us: [0-9]+ spins" \
	exec bash "$d/t-nbd-restart.sh"
