#!/bin/sh
# End-to-end data integrity through `serve` when one path corrupts read
# data (issue 9 part 1). Path0 goes through a relay (hostile-target.py
# proxy) in front of tgtd that, for every 5th read of four or more
# Data-In PDUs (4 KiB each: --max-recv-dsl 4096), in turn cuts the last
# Data-In to half its data (short read with GOOD status, offsets and
# DataSNs consistent), drops a middle one (gap), sends one twice
# (duplicate DataSN, overlap) or swaps two (out of order); path1 is
# direct.
# fio (nbd engine, writes read back and checked with crc32c) must see no
# error at all: no corrupt read may ever be reported as success, every
# one must be re-issued on a path that gives the right data. The
# daemon's log must blame path0 for a protocol error, and never path1.
# FAULT (shorten, drop, duplicate, reorder; default mix: each in turn) and
# SECONDS_RUN (default 10) may be set in the environment.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

# mp_requires, except that a binary without serve fails instead of skipping.
requires_tgt
requires python3 fio tc
fio --enghelp=nbd >/dev/null 2>&1 || skip "fio has no nbd engine"
for c in serve status; do
	"$isn_bin" $c --help >/dev/null 2>&1 || fail "iscsi-nbd $c --help fails"
done
mp_networks 2
mp_target 64
tgt_small_bursts "$tgt_ns" 1
relay_log=$isn_tmp/relay.log
run_in "$tgt_ns" python3 "$top_srcdir/tests/integration/hostile-target.py" proxy 3261 \
	"$mp_tgt_1:3260" "${FAULT:-mix}" --every 5 --addr "$mp_tgt_1" --log "$relay_log" \
	--port-file "$isn_tmp/relay.port" 2>"$isn_tmp/relay.err" &
relay_pid=$!
cleanup_add kill_quiet "$relay_pid"
i=0
until [ -s "$isn_tmp/relay.port" ]; do
	i=$((i + 1))
	kill -0 "$relay_pid" 2>/dev/null || fail "the relay died: $(cat "$isn_tmp/relay.err")"
	[ $i -lt 50 ] || fail "the relay does not listen"
	sleep 0.1
done
mp_tgt_1=$mp_tgt_1:3261
mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500 --max-recv-dsl 4096
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"

mp_fio_start "${SECONDS_RUN:-10}"
mp_fio_wait 120
mp_paths_text >&2
faults=$(grep -c " fault " "$relay_log")
info "the relay corrupted $faults reads on path0 ($(grep -o 'fault [a-z]*' "$relay_log" | sort | uniq -c | tr '\n' ' '))"
[ "$faults" -gt 0 ] || fail "the relay corrupted nothing: the test proved nothing: $(head -n 20 "$relay_log")"
mp_fio_ok
info "fio: $(mp_fio_ios) I/Os, 0 errors"
grep -E "path0.*(Data-In|DataSN|protocol)" "$mp_log" | head -n 5 >&2
grep -E -q "path0.*(Data-In|DataSN|protocol|offset)" "$mp_log" ||
	fail "the daemon's log does not name path0 for the corrupt Data-In"
if grep -E "path1.*(Data-In|DataSN|protocol)" "$mp_log" >&2; then
	fail "the daemon blamed path1, whose data was never touched"
fi
exit 0
