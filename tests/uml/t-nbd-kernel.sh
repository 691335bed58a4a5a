#!/bin/bash
# The kernel anchor for our own daemon: `iscsi-nbd attach` logs in to tgtd
# over both networks and exports the LUN as /dev/nbd0 through the nbd
# generic netlink interface. Proves that the kernel sees the LUN's size,
# logical block size and backend identifier (VPD 0x83), that a GPT, ext4,
# 100 MiB of files, e2fsck and a checksum verify after remount all work
# through it and the data reached the target, then that `iscsi-nbd detach`
# releases the device and ends the daemon.
# t-nbd-qemu.sh does the same without our daemon: if it passes and this
# fails, the fault is ours.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm sfdisk mkfs.ext4 e2fsck
UML_SANITIZER_OK=1 uml_guest "$0"

lun_mb=512
load_modules nbd veth
net2_setup
tgtd_start $lun_mb

isn_attach 30 -- -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2"
dev=$ISN_DEV
sys=/sys/block/$(basename "$dev")

[ "$(blockdev_size "$dev")" = $((lun_mb << 20)) ] ||
	fail "size $(blockdev_size "$dev"), want $((lun_mb << 20)) (LUN size)"
[ "$(cat "$sys/size")" = $((lun_mb << 11)) ] || fail "$sys/size is $(cat "$sys/size")"
# tgtd's LUNs have 512-byte logical blocks; the kernel default is 1024, so
# this fails unless attach sends BLOCK_SIZE_BYTES.
bs=$(cat "$sys/queue/logical_block_size")
[ "$bs" = 512 ] || fail "logical_block_size $bs, want 512"
backend=$(cat "$sys/backend" 2>/dev/null)
[ -n "$backend" ] || fail "$sys/backend empty: BACKEND_IDENTIFIER not sent"
log "backend identifier: $backend"

fs_exercise "$dev" 100
# The writes really reached the target: its backing file holds the GPT
# header at LBA 1.
[ "$(dd if="$TGT_BACKING" bs=1 skip=512 count=8 2>/dev/null)" = "EFI PART" ] ||
	fail "no GPT header in the target's backing file"

isn_detach
