#!/bin/bash
# `iscsi-nbd attach` against the in-kernel LIO target instead of tgtd: a
# second, independent target implementation (different login keys and
# defaults, LUN 0 is the data LUN, its own VPD 0x83 designators, much
# faster). Proves that the kernel device gets LIO's LUN size, logical block
# size and the identity `iscsi-nbd inquiry` reads, that GPT + ext4 + 100 MiB
# of files + e2fsck + verify after remount work through both paths, that the
# data is in LIO's backing file, that discard reaches LIO (emulate_tpu:
# blkdiscard deallocates blocks in the fileio backing file), that status
# shows both paths ACTIVE, and that detach ends the daemon with 0.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires sfdisk mkfs.ext4 e2fsck blkdiscard
UML_SANITIZER_OK=1 uml_guest "$0"

lun_mb=384
load_modules nbd veth
net2_setup
lio_start $lun_mb
so=$LIO_CFS/core/fileio_0/disk1
# UNMAP support (LBPU) on the fileio backstore: LIO punches holes.
thin=1
echo 1 >"$so/attrib/emulate_tpu" 2>/dev/null || thin=0
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd

inq=$("$ISN_BIN" inquiry -t "$LIO_IQN" -P "$TGT_IP1" -l 0) || fail "inquiry exited $?"
echo "$inq"
ident=$(echo "$inq" | sed -n 's/^identity: //p')
[ -n "$ident" ] && [ "$ident" != none ] || fail "inquiry printed no identity for LIO's LUN 0"
log "LUN 0 identity (inquiry): $ident"

isn_attach 30 -- -t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0 --device /dev/nbd0
dev=$ISN_DEV
sys=/sys/block/$(basename "$dev")
[ "$(blockdev_size "$dev")" = $((lun_mb << 20)) ] ||
	fail "size $(blockdev_size "$dev"), want $((lun_mb << 20)) (LUN size)"
lbs=$(cat "$so/attrib/block_size")
bs=$(cat "$sys/queue/logical_block_size")
[ "$bs" = "$lbs" ] || fail "logical_block_size $bs, LIO's block_size is $lbs"
backend=$(cat "$sys/backend" 2>/dev/null)
[ "$backend" = "$ident" ] || fail "$sys/backend '$backend' is not the LUN's identity '$ident'"
log "block size $bs, backend $backend"

st=$("$ISN_BIN" status) || fail "iscsi-nbd status exited $?"
echo "$st"
echo "$st" | grep -q "^nbd0: running, /dev/nbd0" || fail "status does not show nbd0 running"
echo "$st" | grep -q "$TGT_IP1:3260: ACTIVE" || fail "status: path on $TGT_IP1 not ACTIVE"
echo "$st" | grep -q "$TGT_IP2:3260: ACTIVE" || fail "status: path on $TGT_IP2 not ACTIVE"

fs_exercise "$dev" 100
[ "$(dd if="$LIO_BACKING" bs=1 skip="$bs" count=8 2>/dev/null)" = "EFI PART" ] ||
	fail "no GPT header in LIO's backing file"

if [ $thin = 1 ]; then
	dmax=$(cat "$sys/queue/discard_max_bytes")
	[ "$dmax" -gt 0 ] || fail "emulate_tpu=1, but discard_max_bytes is $dmax"
	dd if=/dev/urandom of="${dev}p2" bs=1M count=32 oflag=direct status=none ||
		fail "write to ${dev}p2"
	sync
	before=$(stat -c %b "$LIO_BACKING")
	blkdiscard "${dev}p2" || fail "blkdiscard ${dev}p2"
	after=$(stat -c %b "$LIO_BACKING")
	log "backing file: $before blocks before blkdiscard, $after after"
	[ "$after" -lt $((before - 32 * 2048 / 2)) ] ||
		fail "blkdiscard did not deallocate at least 16 MiB of LIO's backing file"
else
	log "NOTE: LIO refused emulate_tpu=1: discard part skipped"
fi

isn_detach
[ ! -e "$ISCSI_NBD_RUNDIR/nbd0.sock" ] || fail "control socket left after detach"
