#!/bin/sh
# A flapping cable under load: cable 1 of two goes down and up every
# 300 ms for 15 s while fio writes and verifies (crc32c) through `iscsi-nbd
# serve`, round-robin. fio must end with exit 0, no I/O error and no verify
# error; path0 must have failed repeatedly and be active again at the end,
# path1 must never have failed. Prints the longest completion gap.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_two_paths_under_load 25
info "cable 1 flapping for 15 s"
end=$(($(date +%s) + 15))
n=0
while [ "$(date +%s)" -lt $end ]; do
	mp_cable_down 1
	sleep 0.3
	mp_cable_up 1
	sleep 0.3
	n=$((n + 1))
done
info "cable 1 went down $n times; steady now"
mp_paths_text >&2
mp_wait_state 0 ACTIVE 20 || fail "path0 not active again after the flapping: $(mp_path_field 0 state)"
mp_fio_wait 90
mp_fio_ok
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; longest completion gap $1 ms, longest latency $2 ms"
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
mp_paths_text >&2
f0=$(mp_path_field 0 failures)
f1=$(mp_path_field 1 failures)
[ "$f0" -ge 3 ] || fail "path0 failed only $f0 times while its cable flapped $n times"
[ "$f1" = 0 ] || fail "path1 failed $f1 times though its cable never moved"
[ "$(mp_path_field 1 state)" = ACTIVE ] || fail "path1 is $(mp_path_field 1 state)"
exit 0
