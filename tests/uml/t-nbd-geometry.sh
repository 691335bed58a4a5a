#!/bin/bash
# LUN geometry against the real kernel NBD driver (issue 9 part 6). Its
# nbd_set_size takes a logical block size that is a power of two from 512
# to PAGE_SIZE (blk_validate_block_size):
#   - a LUN of 8 KiB blocks: attach exits 8 before anything is attached,
#     the message names the block size and the page size, /dev/nbd0 keeps
#     size 0 and no process is left;
#   - a LUN of 4 KiB blocks (= PAGE_SIZE, the edge that is allowed) attaches,
#     the kernel shows 4096-byte logical blocks and the LUN's size, and
#     data written through /dev/nbd0 reads back.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm pgrep
uml_guest "$0"

load_modules nbd veth
net2_setup
tgtd_start 64
page=$(getconf PAGESIZE)
[ "$page" = 4096 ] || fail "the test is written for a 4 KiB page (this guest: $page)"
truncate -s 32M /scratch/lun8k.img /scratch/lun4k.img
tgt_adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store /scratch/lun8k.img \
	--blocksize=8192 || fail "tgtadm: 8 KiB LUN"
tgt_adm --mode logicalunit --op new --tid 1 --lun 3 --backing-store /scratch/lun4k.img \
	--blocksize=4096 || fail "tgtadm: 4 KiB LUN"

export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
out=/scratch/attach.out err=/scratch/attach.err
log "attach of the 8 KiB-block LUN"
timeout 60 "$ISN_BIN" attach -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 2 >"$out" 2>"$err"
rc=$?
sed 's/^/    /' "$err"
[ $rc = 8 ] || fail "8 KiB blocks: attach exited $rc, want 8"
grep -q "block size 8192" "$err" || fail "the message does not name the block size"
grep -q "page size (4096)" "$err" || fail "the message does not name the page size"
[ ! -s "$out" ] || fail "attach printed a device: $(cat "$out")"
wait_for 10 sh -c '! pgrep -x iscsi-nbd >/dev/null' ||
	fail "an iscsi-nbd process is left: $(pgrep -a -x iscsi-nbd)"
[ "$(blockdev_size /dev/nbd0)" = 0 ] || fail "/dev/nbd0 has size $(blockdev_size /dev/nbd0)"

log "attach of the 4 KiB-block LUN"
isn_attach 30 -- -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 3 --device /dev/nbd0
b=$(basename "$ISN_DEV")
[ "$(cat "/sys/block/$b/queue/logical_block_size")" = 4096 ] ||
	fail "logical block size $(cat "/sys/block/$b/queue/logical_block_size"), want 4096"
[ "$(blockdev_size "$ISN_DEV")" = $((32 << 20)) ] ||
	fail "size $(blockdev_size "$ISN_DEV"), want $((32 << 20))"
head -c 1M /dev/urandom >/scratch/pat
dd if=/scratch/pat of="$ISN_DEV" bs=4096 oflag=direct status=none || fail "write"
echo 3 >/proc/sys/vm/drop_caches
cmp -n $((1 << 20)) /scratch/pat "$ISN_DEV" || fail "data read back differs"
isn_detach
log "8 KiB blocks refused with exit 8; 4 KiB blocks attached and carried data"
