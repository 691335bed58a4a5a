#!/bin/sh
# The daemon itself stops under load while its target and its network are
# fine: SIGSTOP for 3 s, twice the NOP timeout (a debugger, a frozen
# cgroup, a host that paused it). When it runs again, the target's answers
# wait unread in its sockets while its silence checks are already due
# (libev runs the due timers of a loop iteration before the socket
# callbacks), or the target waits on data the daemon had not sent yet. No
# path may be failed for a silence that was the daemon's own, twice in a
# row, and fio (write + crc32c verify) ends with no error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_two_paths_under_load 25
for round in 1 2; do
	kill -STOP "$mp_pid"
	sleep 3
	kill -CONT "$mp_pid"
	info "round $round: the daemon stopped for 3 s and running again"
	mp_wait_ios 0 200 15
	mp_wait_ios 1 200 15
done
mp_fio_wait 60
mp_fio_ok
if grep -E "path[01]: ACTIVE -> " "$mp_log" >/dev/null; then
	grep -E "ACTIVE -> |ms late|wait unread|stopped" "$mp_log" >&2
	fail "a path left ACTIVE although only the daemon had stopped"
fi
for i in 0 1; do
	[ "$(mp_path_field $i failures)" = 0 ] || fail "path$i counts failures: $(mp_path_field $i reason)"
done
info "the daemon's account: $(grep -c "ms late" "$mp_log") late loop(s), $(grep -c "wait unread" "$mp_log") verdict(s) put off for unread bytes"
info "fio: $(mp_fio_ios) I/Os, 0 errors; no path failed across two stops of the daemon"
exit 0
