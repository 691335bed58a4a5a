#!/bin/bash
# The nbd layer's kernel bridge against a real /dev/nbdN, without iSCSI:
# tests/unit/nbdnl_mem serves a memory disk over two socketpairs through
# generic netlink. Proves CONNECT (first free index, size, logical block
# size, backend identifier, flush/trim flags as the block layer shows
# them), the transmission engine under a GPT + ext4 + e2fsck + verify
# workload, a discard and a fio verify run, an online grow by RECONFIGURE sent off the loop
# thread while reads run, LINK_DEAD on a closed socket and its replacement
# by RECONFIGURE with I/O still verified afterwards, a second device with
# 4096-byte blocks at a chosen index, and DISCONNECT ending it all cleanly.
. "$(dirname "$0")/lib.sh"
prog=$top_builddir/tests/unit/nbdnl_mem
requires_built "$prog"
if grep -qa __asan_init "$prog"; then
	skip_na "nbdnl_mem is an ASan build: sanitizer binaries cannot run under UML"
fi
requires sfdisk mkfs.ext4 e2fsck blkdiscard cmp
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd
mib=192

# start_mem NAME ARGS..: run nbdnl_mem in the background, wait for its device.
start_mem() {
	local name=$1 out
	shift
	out=$UML_OUT/$name.out
	"$prog" "$@" >"$out" 2>"$UML_OUT/$name.log" &
	MEM_PID=$!
	on_exit "kill_wait $MEM_PID 10"
	wait_for 20 grep -q '^ready /dev/nbd' "$out" || {
		cat "$out" "$UML_OUT/$name.log"
		fail "$name: no device"
	}
	MEM_DEV=$(sed -n 's/^ready //p' "$out")
	wait_blockdev "$MEM_DEV" 10 || fail "$MEM_DEV has no size"
	log "$name: $MEM_DEV, $(blockdev_size "$MEM_DEV") bytes"
}

start_mem mem1 $mib --socks 2
dev=$MEM_DEV pid=$MEM_PID out=$UML_OUT/mem1.out
sys=/sys/block/$(basename "$dev")
[ "$(blockdev_size "$dev")" = $((mib << 20)) ] || fail "size $(blockdev_size "$dev")"
[ "$(cat "$sys/queue/logical_block_size")" = 512 ] || fail "logical_block_size"
[ "$(cat "$sys/backend")" = membdev.nbdnl-test ] || fail "backend '$(cat "$sys/backend")'"
# SEND_FLUSH -> a write-back cache the block layer flushes; SEND_TRIM -> discard.
[ "$(cat "$sys/queue/write_cache")" = "write back" ] || fail "write_cache $(cat "$sys/queue/write_cache")"
[ "$(cat "$sys/queue/discard_max_bytes")" -gt 0 ] || fail "no discard"
[ "$(cat "$sys/queue/rotational")" = 0 ] || fail "rotational"

fs_exercise "$dev" 64
# A discard over the second partition (the kernel may send it as one long TRIM).
blkdiscard "${dev}p2" || fail "blkdiscard ${dev}p2"
[ "$(dd if="${dev}p2" bs=1M count=1 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)" = 0 ] ||
	fail "discarded range does not read back as zeroes"
log "discard ok"

# Many requests in flight over both kernel queues (sockets), every block verified.
if command -v fio >/dev/null 2>&1; then
	fio --name=verify --filename="${dev}p2" --direct=1 --ioengine=libaio --rw=randwrite \
		--bssplit=4k/50:64k/30:512k/20 --iodepth=32 --numjobs=2 --size=24m \
		--offset_increment=24m --verify=crc32c --verify_fatal=1 \
		--output="$UML_OUT/fio.out" >/dev/null 2>&1 || { cat "$UML_OUT/fio.out"; fail "fio verify"; }
	grep -q 'err= 0' "$UML_OUT/fio.out" || fail "fio reported errors"
	log "fio randwrite + verify through the kernel ok"
fi
# BLKZEROOUT: NBD_CMD_WRITE_ZEROES on kernels that send it (6.5 and later),
# plain zero WRITEs on 6.1 (write_zeroes_max_bytes 0 there); zeroes either way.
blkdiscard -z -o 0 -l 4M "${dev}p2" || fail "blkdiscard -z"
[ "$(dd if="${dev}p2" bs=1M count=4 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)" = 0 ] ||
	fail "zeroed range does not read back as zeroes"
log "zero-out ok (write_zeroes_max_bytes $(cat "$sys/queue/write_zeroes_max_bytes"))"

# Online grow while reads are in flight: the loop keeps serving them while
# the kernel freezes the queue for the new size.
dd if="$dev" of=/dev/null bs=64k iflag=direct 2>/dev/null &
reader=$!
kill -USR1 "$pid"
wait_for 20 grep -q "^resized $((2 * mib << 20))" "$out" || { cat "$out"; fail "no resize"; }
wait_for 10 test "$(blockdev_size "$dev")" = $((2 * mib << 20)) ||
	fail "size after resize $(blockdev_size "$dev")"
wait "$reader" || fail "reads during the resize failed"
head -c 1M /dev/urandom >/scratch/tail.bin
dd if=/scratch/tail.bin of="$dev" bs=1M seek=$((2 * mib - 1)) oflag=direct conv=fsync 2>/dev/null ||
	fail "write to the new last MiB"
dd if="$dev" of=/scratch/tail.out bs=1M skip=$((2 * mib - 1)) iflag=direct 2>/dev/null
cmp /scratch/tail.bin /scratch/tail.out || fail "new last MiB reads back wrong"
log "grown to $((2 * mib)) MiB"

# A socket dies: LINK_DEAD, then RECONFIGURE puts a new one in its place.
kill -USR2 "$pid"
wait_for 20 grep -q '^link-dead' "$out" || { cat "$out"; fail "no LINK_DEAD"; }
wait_for 20 grep -q '^replaced 0' "$out" || { cat "$out"; fail "socket not replaced"; }
head -c 8M /dev/urandom >/scratch/mid.bin
dd if=/scratch/mid.bin of="$dev" bs=1M seek=100 oflag=direct conv=fsync 2>/dev/null ||
	fail "write after socket replacement"
dd if="$dev" of=/scratch/mid.out bs=1M skip=100 count=8 iflag=direct 2>/dev/null
cmp /scratch/mid.bin /scratch/mid.out || fail "data after socket replacement"
log "socket replaced, I/O verified"

# A second device: 4096-byte logical blocks at a chosen index.
start_mem mem2 16 --lbs 4096 --socks 1 --index 5
[ "$MEM_DEV" = /dev/nbd5 ] || fail "asked for index 5, got $MEM_DEV"
[ "$(cat /sys/block/nbd5/queue/logical_block_size)" = 4096 ] || fail "4096 block size"
dd if=/dev/nbd5 of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null || fail "read nbd5"
kill -TERM "$MEM_PID"
wait_for 15 grep -q '^done' "$UML_OUT/mem2.out" || fail "mem2: no clean end"

# DISCONNECT: the device loses its size, the program ends with 0.
kill -TERM "$pid"
wait_for 15 test "$(blockdev_size "$dev")" = 0 || fail "$dev still has a size"
wait_for 15 grep -q '^done' "$out" || { cat "$out"; fail "no clean end"; }
wait "$pid" || fail "nbdnl_mem exit status $?"
grep '^failed' "$out" && fail "a netlink request failed"
log "disconnected"
exit 0
