#!/bin/sh
# No false failover on a busy, slow link: network 1 is shaped to 16 Mbit/s
# (tbf on both ends, deep queues), network 2 is not, and fio writes and
# verifies 1 MiB blocks at queue depth 4 per job, round-robin over both.
# Commands on path0 then wait seconds in the shaped queue, and its NOPs
# wait behind them, yet data keeps moving: the path must not be failed
# (traffic counts as life, DESIGN.md), with --nop-interval 300 and
# --nop-timeout 1500. fio must end with no error, and path0 must have
# carried I/O with no failure counted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_networks 2
mp_target 64
_mp_qdisc ini 1 replace root tbf rate 16mbit burst 32k limit 67108864
_mp_qdisc tgt 1 replace root tbf rate 16mbit burst 32k limit 67108864
mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"
mp_fio_start 20 --bsrange=1M-1M --iodepth=4 --verify_backlog=4
mp_fio_wait 90
mp_fio_ok
mp_paths_text >&2
tc -n "$ini_ns" -s qdisc show dev "$mp_ini_dev_1" >&2
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; longest completion gap $1 ms, longest latency $2 ms"
[ "$(mp_path_field 0 ios)" -gt 0 ] || fail "path0 carried no I/O"
f=$(mp_path_field 0 failures)
if [ "$f" != 0 ]; then
	grep -E "path0: ACTIVE -> " "$mp_log" >&2
	fail "path0 (slow but working) was failed $f times"
fi
exit 0
