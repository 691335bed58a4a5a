#!/bin/sh
# Silent loss under load: the target end of cable 1 drops everything it
# sends (a pfifo of length 0: this kernel may have no netem): the carrier
# stays up, no RST, no error, the target's answers just stop. The path
# must be found dead by the busy-path silence check (NOP / command
# deadline: --nop-interval 300, --nop-timeout 1500) within 15 s, and I/O
# must carry on over path1: fio (write + crc32c verify) ends with exit 0
# and no error. Once path0 is logging in again (into the black hole) and
# path1 alone has carried 1000 I/Os, the loss is lifted and path0 must
# come back and carry I/O again. Prints how long detection took and the longest
# completion gap (information; the only time bound is a generous one on
# detection).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_two_paths_under_load 30
t0=$(mp_ms)
mp_blackhole 1
info "network 1 silent (every packet from the target end dropped)"
mp_wait_state 0 "FAILED|FENCED|CONNECTING" 15 || fail "silent path0 not failed after 15 s"
t1=$(mp_ms)
info "path0 failed $((t1 - t0)) ms after the loss began: $(mp_path_field 0 reason)"
ip -n "$ini_ns" link show "$mp_ini_dev_1" | grep -q "state UP" || fail "the carrier went down"
# The loss lasts until path0 tries to log in again through the black hole
# and path1 alone has carried 1000 I/Os meanwhile.
mp_wait_state 0 CONNECTING 15 || fail "path0 does not try to log in again: $(mp_path_field 0 state)"
mp_wait_ios 1 1000 30
mp_cable_clear 1
info "network 1 back"
mp_wait_state 0 ACTIVE 30 || fail "path0 not active again: $(mp_path_field 0 state)"
mp_wait_ios 0 50 15
t2=$(mp_ms)
mp_fio_wait 90
mp_fio_ok
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
mp_paths_text >&2
grep -E "path0: ACTIVE -> (FAILED|FENCED)" "$mp_log" >&2
grep -E -q "path0: ACTIVE -> (FAILED|FENCED): .*(traffic|NOP|timeout|silen|deadline)" "$mp_log" ||
	fail "path0 was not failed by the silence check"
[ "$(mp_path_field 1 failures)" = 0 ] || fail "path1 failed though its network was fine"
set -- $(mp_fio_gap "$t0" "$t2")
info "from the loss until path0 carried I/O again: longest completion gap $1 ms, longest latency $2 ms"
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; whole run: longest gap $1 ms, longest latency $2 ms"
exit 0
