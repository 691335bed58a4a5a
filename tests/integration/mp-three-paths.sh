#!/bin/sh
# Three paths over three networks, round-robin, under a write + crc32c
# verify load through `iscsi-nbd serve`: every path carries I/O (its ios
# counter in status grows), then cables 1 and 2 are pulled together and
# I/O goes on over path2 alone (its counter keeps growing, the others'
# stop), then they are plugged back and carry I/O again. fio must end with
# exit 0 and no error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_networks 3
mp_target 64
mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500
for i in 0 1 2; do mp_wait_state $i ACTIVE 10 || fail "path$i not active at start"; done

mp_fio_start 25
ios() { echo "$(mp_path_field 0 ios) $(mp_path_field 1 ios) $(mp_path_field 2 ios)"; }
mp_wait_flowing 100 20
info "all three paths carry I/O: ios $(ios)"
mp_cable_down 1
mp_cable_down 2
info "cables 1 and 2 pulled"
mp_wait_state 0 "FAILED|FENCED|CONNECTING" 5 || fail "path0 still $(mp_path_field 0 state)"
mp_wait_state 1 "FAILED|FENCED|CONNECTING" 5 || fail "path1 still $(mp_path_field 1 state)"
# What was in flight on the pulled paths is re-issued on path2: let that
# settle (path2 completes I/O), then count.
mp_wait_ios 2 100 15
set -- $(ios)
a0=$1 a1=$2 a2=$3
mp_wait_ios 2 300 20
set -- $(ios)
[ "$1" = "$a0" ] && [ "$2" = "$a1" ] || fail "pulled paths still count I/O ($a0 -> $1, $a1 -> $2)"
info "path2 alone: ios $a2 -> $3"
mp_paths_text >&2
mp_cable_up 1
mp_cable_up 2
info "cables 1 and 2 plugged back"
for i in 0 1; do mp_wait_state $i ACTIVE 15 || fail "path$i not active again"; done
mp_wait_ios 0 50 15
mp_wait_ios 1 50 15
mp_fio_wait 90
mp_fio_ok
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; longest completion gap $1 ms, longest latency $2 ms"
mp_paths_text >&2
[ "$(mp_path_field 2 failures)" = 0 ] || fail "path2 failed though its cable never moved"
exit 0
