#!/bin/sh
# LUN geometry (issue 9 part 6): a block size the consumer cannot take is
# refused before anything is exported, with exit 8 and a message naming the
# block size; one it can take works, and `readcap` reports the size.
#   - 8 KiB blocks: `serve` (NBD minimum block <= 64 KiB) exports it, and
#     nbdinfo sees the LUN's size and a minimum block of 8192; `readcap`
#     prints the right size.
#   - 128 KiB blocks: `serve` exits 8 at once ("block size 131072").
# (`attach`'s limit, 512..PAGE_SIZE, needs the kernel nbd driver: see the
# unit tests of src/nbd/geometry.c and tests/uml.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve readcap
requires nbdinfo

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:geometry
shm_file disk 16 zero
tgt_target_new "$ns" 1 "$iqn"
tgt_bind_all "$ns" 1
# tgtd takes any power of two as the logical block size (blocksize=).
tgtadm_ns "$ns" --op new --mode logicalunit --tid 1 --lun 1 --backing-store "$disk" \
	--blocksize=8192 || fail "tgtadm: 8 KiB LUN"
tgtadm_ns "$ns" --op new --mode logicalunit --tid 1 --lun 2 --backing-store "$disk" \
	--blocksize=131072 || fail "tgtadm: 128 KiB LUN"

expect_rc 0 isn "$ns" readcap -t "$iqn" -P 127.0.0.1 -l 1
expect_stdout "^size: 16777216 bytes"
expect_stdout "^block size: 8192"
expect_rc 0 isn "$ns" readcap -t "$iqn" -P 127.0.0.1 -l 2
expect_stdout "^size: 16777216 bytes"
expect_stdout "^block size: 131072"

# 128 KiB: refused by serve before it listens, at once, with its own code.
sock2=$isn_tmp/nbd2.sock
start=$(date +%s)
expect_rc 8 isn "$ns" serve -f -t "$iqn" -l 2 -P 127.0.0.1 --socket "$sock2" --name geo2
expect_stderr "block size 131072"
[ $(($(date +%s) - start)) -lt 15 ] || fail "the refusal took $(($(date +%s) - start)) s"
[ ! -S "$sock2" ] || fail "serve listened on $sock2 for a LUN it refuses"

# 8 KiB: served, and an NBD client sees the geometry.
rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
sock=$isn_tmp/nbd.sock
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$sock" --name geo1 >"$log" 2>&1 &
pid=$!
serve_kill() {
	[ -n "${pid:-}" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	_i=0
	while kill -0 "$pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 0
}
cleanup_add serve_kill
i=0
until [ -S "$sock" ]; do
	kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died at start: $(tail -20 "$log")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "iscsi-nbd serve not ready after 30 s"
	sleep 0.1
done
timeout 30 nbdinfo "nbd+unix:///?socket=$sock" >"$isn_tmp/info" 2>&1 ||
	fail "nbdinfo: $(cat "$isn_tmp/info")"
cat "$isn_tmp/info" >&2
grep -E -q "export-size: 16777216" "$isn_tmp/info" || fail "nbdinfo: wrong size"
grep -E -q "block_size_minimum: 8192" "$isn_tmp/info" || fail "nbdinfo: wrong minimum block"
serve_kill
exit 0
