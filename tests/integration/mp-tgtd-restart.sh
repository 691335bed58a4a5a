#!/bin/sh
# The target restarts under load: tgtd is SIGKILLed while fio writes and
# verifies (crc32c) through `iscsi-nbd serve` over two paths, and started
# again (same target, LUN and backing file) a moment later, well within
# --no-path-retry. Both paths must fail and come back by themselves, and
# fio must end with exit 0 and no error: I/O waited for a path instead of
# failing, and nothing acknowledged was lost. Prints the longest gap.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_networks 2
mp_target 64
mp_serve --no-path-retry 20 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"

mp_fio_start 30
mp_wait_flowing
eval "pid=\$_isn_tgtpid_$tgt_ns"
t0=$(mp_ms)
kill -9 "$pid" || fail "cannot kill tgtd"
wait "$pid" 2>/dev/null
eval "_isn_tgtpid_$tgt_ns="
info "tgtd killed"
mp_wait_state 0 "FAILED|FENCED|CONNECTING" 10 || fail "path0 still $(mp_path_field 0 state)"
mp_wait_state 1 "FAILED|FENCED|CONNECTING" 10 || fail "path1 still $(mp_path_field 1 state)"
mp_paths_text >&2
# No event to wait for here: fio must simply still be waiting, not failed,
# a moment after both paths went (a bounded pause, not a wait).
sleep 1
kill -0 "$mp_fio_pid" 2>/dev/null || fail "fio ended while the target was down: $(tail -5 "$isn_tmp/fio.stderr")"
tgtd_start "$tgt_ns"
tgt_simple "$tgt_ns" "$mp_iqn" "$mp_disk"
info "tgtd back after $(($(mp_ms) - t0)) ms"
mp_wait_state 0 ACTIVE 20 || fail "path0 not back: $(mp_path_field 0 state)"
mp_wait_state 1 ACTIVE 20 || fail "path1 not back: $(mp_path_field 1 state)"
t1=$(mp_ms)
info "both paths active again $((t1 - t0)) ms after the kill"
mp_fio_wait 90
mp_fio_ok
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
mp_paths_text >&2
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; longest completion gap $1 ms, longest latency $2 ms"
exit 0
