#!/bin/bash
# t-nbd-restart.sh with hybrid polling on (--poll-us 100 for both daemons):
# /dev/nbd0 with ext4, the daemon SIGKILLed under an O_DIRECT dd and
# restarted with RECONFIGURE; no I/O error, the file verifies, e2fsck is
# clean. The restarted daemon's status must show polling with spins that
# found an event.
d=$(cd "$(dirname "$0")" && pwd)
UML_NAME=t-nbd-poll-restart ISN_ATTACH_ARGS="--poll-us 100" \
	ISN_ATTACH_EXPECT="polling up to 100 us: [1-9][0-9]* spins, [1-9][0-9]* found an event" \
	exec bash "$d/t-nbd-restart.sh"
