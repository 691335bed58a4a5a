#!/bin/bash
# The kernel anchor for our own daemon: `iscsi-nbd attach` logs in to tgtd
# over both networks and exports the LUN as /dev/nbd0 through the nbd
# generic netlink interface. Proves that the kernel sees the LUN's size,
# logical block size and backend identifier (VPD 0x83), and that a GPT,
# ext4, 100 MiB of files, e2fsck and a checksum verify after remount all
# work through it, then that `iscsi-nbd detach` releases the device.
# t-nbd-qemu.sh does the same without our daemon: if it passes and this
# fails, the fault is ours.
. "$(dirname "$0")/lib.sh"
bin=$top_builddir/iscsi-nbd
if [ ! -x "$bin" ] || ! "$bin" attach --help >/dev/null 2>&1; then
	skip "iscsi-nbd attach not built yet"
fi
# ASan reserves its shadow memory at addresses above UML's user address
# space, so sanitizer builds cannot run in the guest.
if grep -qa __asan_init "$bin"; then
	skip "iscsi-nbd is an ASan build: sanitizer binaries cannot run under UML"
fi
requires tgtd tgtadm sfdisk mkfs.ext4 e2fsck
UML_SANITIZER_OK=1 uml_guest "$0"

lun_mb=512
load_modules nbd veth
net2_setup
tgtd_start $lun_mb

"$bin" attach -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -f \
	>"$UML_OUT/attach.out" 2>"$UML_OUT/iscsi-nbd.log" &
pid=$!
on_exit "kill_wait $pid 10"
log "iscsi-nbd attach running as $pid"

wait_blockdev /dev/nbd0 30 || {
	kill -0 $pid 2>/dev/null || echo "iscsi-nbd exited early"
	cat "$UML_OUT/iscsi-nbd.log"
	fail "/dev/nbd0 got no size within 30 s"
}
kill -0 $pid 2>/dev/null || fail "iscsi-nbd attach -f did not stay in the foreground"
dev=/dev/nbd0
sys=/sys/block/nbd0
log "$dev: $(blockdev_size $dev) bytes"

[ "$(blockdev_size $dev)" = $((lun_mb << 20)) ] ||
	fail "size $(blockdev_size $dev), want $((lun_mb << 20)) (LUN size)"
[ "$(cat $sys/size)" = $((lun_mb << 11)) ] || fail "$sys/size is $(cat $sys/size)"
# tgtd's LUNs have 512-byte logical blocks; the kernel default is 1024, so
# this fails unless attach sends BLOCK_SIZE_BYTES.
bs=$(cat $sys/queue/logical_block_size)
[ "$bs" = 512 ] || fail "logical_block_size $bs, want 512"
backend=$(cat $sys/backend 2>/dev/null)
[ -n "$backend" ] || fail "$sys/backend empty: BACKEND_IDENTIFIER not sent"
log "backend identifier: $backend"

fs_exercise $dev 100
# The writes really reached the target: its backing file holds the GPT
# header at LBA 1.
[ "$(dd if="$TGT_BACKING" bs=1 skip=512 count=8 2>/dev/null)" = "EFI PART" ] ||
	fail "no GPT header in the target's backing file"

"$bin" detach $dev || fail "iscsi-nbd detach $dev"
wait_for 15 test "$(blockdev_size $dev)" = 0 || fail "$dev still has a size after detach"
wait_for 15 sh -c "! kill -0 $pid" || fail "iscsi-nbd attach did not exit after detach"
wait $pid
rc=$?
[ $rc = 0 ] || fail "iscsi-nbd attach exited $rc after detach"
log "detached"
