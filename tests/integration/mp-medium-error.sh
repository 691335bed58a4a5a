#!/bin/sh
# A medium error goes up to the client; it is not a path failure. tgtd
# answers MEDIUM ERROR / unrecovered read error when its backing file
# gives a short read, so the LUN's backing file is cut to half its size
# under the running daemon: a read of the back half must fail with EIO,
# promptly (not retried on path after path until no_path_retry), both
# paths must stay ACTIVE with no failure counted, and a read of the front
# half must still work.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 2
mp_target 64
mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"
truncate -s 32M "$mp_disk" || fail "truncate"
nbdsh_run() {
	timeout 30 "$mp_py" -c 'import sys, nbdsh; sys.exit(nbdsh.shell())' -u "$mp_uri" -c "$1"
}
t0=$(mp_ms)
if nbdsh_run 'h.pread(65536, 48 << 20)' >"$isn_tmp/out" 2>&1; then
	fail "a read past the cut succeeded"
fi
t1=$(mp_ms)
cat "$isn_tmp/out" >&2
grep -q -i "input/output" "$isn_tmp/out" || fail "the read failed, but not with EIO"
info "medium error reached the client after $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 10000 ] || fail "the medium error took $((t1 - t0)) ms to reach the client"
mp_paths_text >&2
for i in 0 1; do
	[ "$(mp_path_field $i state)" = ACTIVE ] || fail "path$i is $(mp_path_field $i state) after a medium error"
	[ "$(mp_path_field $i failures)" = 0 ] || fail "path$i counted a failure for a medium error"
done
extract "$mp_disk" 0 65536 "$isn_tmp/want"
nbdsh_run 'import sys; sys.stdout.buffer.write(h.pread(65536, 0))' >"$isn_tmp/got" ||
	fail "a read before the cut failed"
cmp "$isn_tmp/want" "$isn_tmp/got" || fail "a read before the cut gave wrong data"
# The target's answer really is a medium error (the one-shot read shows
# the sense), so the EIO above is the right class, not a transport error.
expect_rc 5 isn "$ini_ns" read -t "$mp_iqn" -P "$mp_tgt_1" -l 1 --offset $((48 << 20)) \
	--length 65536 --output "$isn_tmp/r"
expect_stderr "medium|unrecovered read"
exit 0
