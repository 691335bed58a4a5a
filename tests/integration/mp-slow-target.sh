#!/bin/sh
# A target that logs in but answers at 1 byte/s (everything tgtd sends is
# shaped to 8 bit/s, the carrier up): without a bound per request, a read
# is re-sent after every command timeout and re-login for ever, and with
# --no-path-retry set high nothing else ends it. With --io-timeout 8 the
# read must fail with EIO within 8 s (+2 s slack for the client), the log
# must name the request and why, and the daemon must still stop (detach, within 30 s).
# Prints the bound and the measured time.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 1
mp_target 16
io_timeout=8
mp_serve --io-timeout $io_timeout --no-path-retry 600 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 || fail "path0 not active at start"

_mp_qdisc tgt 1 replace root tbf rate 8bit burst 1600 limit 67108864
info "the target's answers now trickle at 1 byte/s"
t0=$(mp_ms)
if timeout 60 "$mp_py" -c 'import sys, nbdsh; sys.exit(nbdsh.shell())' -u "$mp_uri" \
	-c 'print(len(h.pread(65536, 1 << 20)))' >"$isn_tmp/nbdsh.out" 2>&1; then
	cat "$isn_tmp/nbdsh.out" >&2
	fail "a read succeeded from a target that answers at 1 byte/s"
fi
t1=$(mp_ms)
cat "$isn_tmp/nbdsh.out" >&2
info "the read failed $((t1 - t0)) ms after it was sent (bound: io_timeout $io_timeout s)"
grep -q -i "input/output\|EIO" "$isn_tmp/nbdsh.out" || fail "the read failed, but not with EIO"
[ $((t1 - t0)) -le $(((io_timeout + 2) * 1000)) ] ||
	fail "the read took $((t1 - t0)) ms to fail, bound $io_timeout s"
grep -E "READ 1048576\+65536 failed with EIO after [0-9.]+ s: deadline passed \(io_timeout" "$mp_log" >&2 ||
	fail "the log does not name the request and why it failed"
t2=$(mp_ms)
timeout 30 "$isn_bin" detach mp || fail "detach failed or hung"
info "detach took $(($(mp_ms) - t2)) ms"
exit 0
