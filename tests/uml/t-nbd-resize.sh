#!/bin/bash
# Online resize: the LUN grows on the target while attached and /dev/nbd0
# grows with it, without a detach, while a filesystem on it is mounted and
# written. The target is LIO with an iblock backstore on a loop device:
# LIO reads an iblock device's size on every READ CAPACITY, so growing the
# file and `losetup -c` grows the LUN (a fileio backstore on a plain file
# keeps the fd_dev_size it was created with; tgtd fixes a LUN's size when
# the LUN is created and has no resize at all). Proves:
# - the target side really grew: a fresh `iscsi-nbd readcap` sees it;
# - /dev/nbd0 reaches the new size within 30 s, while a dd writes to the
#   mounted ext4 (the kernel freezes the queue for a resize until the
#   in-flight I/O completes: a daemon that sent the resize from its I/O
#   thread would hang here);
# - resize2fs grows the mounted ext4 online, files written before and
#   after verify after remount, e2fsck is clean, and the blocks beyond the
#   old end are reachable (a pattern written there reads back).
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires losetup mkfs.ext4 resize2fs e2fsck sha256sum
UML_SANITIZER_OK=1 uml_guest "$0"

mb0=128 mb1=192
load_modules nbd veth loop
net2_setup
img=/scratch/grow.img
truncate -s ${mb0}M $img || fail "backing file"
loopdev=$(losetup -f --show $img) || fail "losetup $img"
on_exit "losetup -d $loopdev"
LIO_DEV=$loopdev lio_start
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd

isn_attach 30 -- -t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0 --device /dev/nbd0
dev=$ISN_DEV
[ "$(blockdev_size "$dev")" = $((mb0 << 20)) ] ||
	fail "size $(blockdev_size "$dev"), want $((mb0 << 20))"

mnt=/scratch/mnt
mkdir -p $mnt
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" || fail "mkfs.ext4"
mount "$dev" $mnt || fail "mount"
on_exit "umount $mnt 2>/dev/null"
for i in 1 2 3 4; do head -c 8M /dev/urandom >$mnt/before$i || fail "write before$i"; done
sync

# Grow the LUN under a running writer.
dd if=/dev/urandom of=$mnt/during bs=1M count=24 oflag=direct status=none 2>/scratch/dd.err &
dd_pid=$!
on_exit "kill $dd_pid 2>/dev/null"
truncate -s ${mb1}M $img || fail "grow backing file"
losetup -c "$loopdev" || fail "losetup -c"
[ "$(blockdev --getsize64 "$loopdev")" = $((mb1 << 20)) ] || fail "$loopdev did not grow"
rc_out=$("$ISN_BIN" readcap -t "$LIO_IQN" -P "$TGT_IP1" -l 0) || fail "readcap"
echo "$rc_out" | grep -q "^size: $((mb1 << 20)) bytes" ||
	fail "LIO does not report the new size: $rc_out"
log "target side: LUN now $((mb1 << 20)) bytes"

grown() { [ "$(blockdev_size "$dev")" = $((mb1 << 20)) ]; }
if ! wait_for 30 grown; then
	tail -20 "$UML_OUT/iscsi-nbd.log"
	fail "$dev did not grow: $(blockdev_size "$dev") bytes, the LUN has $((mb1 << 20))"
fi
log "$dev grew to $(blockdev_size "$dev") bytes"
wait $dd_pid || fail "dd across the resize: $(cat /scratch/dd.err)"

resize2fs "$dev" || fail "online resize2fs"
for i in 1 2 3; do head -c 16M /dev/urandom >$mnt/after$i || fail "write after$i"; done
(cd $mnt && sha256sum before* during after*) >/scratch/sums
umount $mnt || fail "umount"
e2fsck -f -n "$dev" || fail "e2fsck after the online grow"
echo 3 >/proc/sys/vm/drop_caches
mount "$dev" $mnt || fail "remount"
(cd $mnt && sha256sum -c --quiet /scratch/sums) || fail "checksums differ after remount"
umount $mnt || fail "final umount"
# The last MiB of the grown device is reachable through nbd and lands in
# the loop device's backing file.
head -c 1M /dev/urandom >/scratch/tail
dd if=/scratch/tail of="$dev" bs=1M seek=$((mb1 - 1)) oflag=direct status=none ||
	fail "write the last MiB of the grown device"
sync
# (No process substitution: the guest's devtmpfs has no /dev/fd.)
dd if=$img of=/scratch/tail.back bs=1M skip=$((mb1 - 1)) count=1 status=none ||
	fail "read the backing file's last MiB"
cmp /scratch/tail /scratch/tail.back ||
	fail "the last MiB did not reach the target's backing file"
isn_detach
