#!/bin/bash
# Proves the guest side of kernel NBD without our daemon: qemu-nbd attaches
# a file in tmpfs to /dev/nbd0 (ioctl interface), then a GPT with two
# partitions, ext4, mount, writes, e2fsck and a checksum verify after a
# remount all work on /dev/nbd0p1. When t-nbd-kernel fails but this passes,
# the fault is in iscsi-nbd, not in the bed (modules, devtmpfs, partitions).
. "$(dirname "$0")/lib.sh"
requires qemu-nbd sfdisk mkfs.ext4 e2fsck
uml_guest "$0"

load_modules nbd
img=/scratch/qemu-disk.img
truncate -s 256M "$img" || fail "image file"
qemu-nbd -f raw --cache=writeback --connect=/dev/nbd0 --fork \
	--pid-file=/scratch/qemu-nbd.pid "$img" || fail "qemu-nbd --connect"
on_exit "qemu-nbd --disconnect /dev/nbd0 >/dev/null 2>&1; kill_wait \$(cat /scratch/qemu-nbd.pid 2>/dev/null || echo 0) 2"
wait_blockdev /dev/nbd0 10 || fail "/dev/nbd0 has no size after qemu-nbd --connect"
[ "$(blockdev_size /dev/nbd0)" = $((256 << 20)) ] ||
	fail "/dev/nbd0 size $(blockdev_size /dev/nbd0), want $((256 << 20))"
log "qemu-nbd attached $img to /dev/nbd0"

fs_exercise /dev/nbd0 100

# The data really went through nbd into the image file: the file now holds
# the GPT signature at LBA 1.
[ "$(dd if="$img" bs=1 skip=512 count=8 2>/dev/null)" = "EFI PART" ] ||
	fail "no GPT header in the backing file"
qemu-nbd --disconnect /dev/nbd0 || fail "qemu-nbd --disconnect"
wait_for 10 test "$(blockdev_size /dev/nbd0)" = 0 || fail "/dev/nbd0 still has a size after disconnect"
log "disconnected"
