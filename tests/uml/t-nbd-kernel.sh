#!/bin/bash
# The kernel anchor for our own daemon: `iscsi-nbd attach` logs in to tgtd
# over both networks and exports the data LUN (tgtd's LUN 1; LUN 0 is the
# storage controller) as /dev/nbd0 through the nbd generic netlink
# interface. Proves that:
# - the kernel sees the LUN's size, logical block size (512, not the
#   kernel's default 1024) and backend identifier, which is exactly the
#   VPD 0x83 identity `iscsi-nbd inquiry` reads from the LUN;
# - a GPT, ext4, 100 MiB of files, e2fsck and a checksum verify after
#   remount all work through it, and the data reached the target;
# - a thin-provisioned LUN gets discard: blkdiscard of partition 2 succeeds
#   and really deallocates blocks in tgtd's backing file;
# - `iscsi-nbd status` (text and --json) shows the device and both paths
#   ACTIVE;
# - `iscsi-nbd detach` releases the device and the daemon exits 0, leaving
#   no control socket; a second attach of the same device finds the data
#   intact.
# t-nbd-qemu.sh does the same without our daemon: if it passes and this
# fails, the fault is ours.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm sfdisk mkfs.ext4 e2fsck blkdiscard
UML_SANITIZER_OK=1 uml_guest "$0"

lun_mb=512
load_modules nbd veth
net2_setup
tgtd_start $lun_mb
# tgtd reports LBPU (so we offer NBD_FLAG_SEND_TRIM) only for a thin LUN;
# it then punches holes in the backing file on UNMAP.
thin=1
tgt_adm --mode logicalunit --op update --tid 1 --lun 1 --params thin_provisioning=1 ||
	thin=0
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
P=(-t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1)

ident=$("$ISN_BIN" inquiry -t "$TGT_IQN" -P "$TGT_IP1" -l 1 | sed -n 's/^identity: //p')
[ -n "$ident" ] && [ "$ident" != none ] || fail "inquiry printed no identity for LUN 1"
log "LUN 1 identity (inquiry): $ident"

isn_attach 30 -- "${P[@]}" --device /dev/nbd0
dev=$ISN_DEV
[ "$dev" = /dev/nbd0 ] || fail "attached $dev, asked for /dev/nbd0"
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
[ "$backend" = "$ident" ] ||
	fail "$sys/backend '$backend' is not the LUN's identity '$ident'"
log "backend identifier: $backend"

# status: the device, and both paths ACTIVE (text and JSON).
st=$("$ISN_BIN" status) || fail "iscsi-nbd status exited $?"
echo "$st"
echo "$st" | grep -q "^nbd0: running, /dev/nbd0" || fail "status does not show nbd0 running"
echo "$st" | grep -q "$TGT_IP1:3260: ACTIVE" || fail "status: path on $TGT_IP1 not ACTIVE"
echo "$st" | grep -q "$TGT_IP2:3260: ACTIVE" || fail "status: path on $TGT_IP2 not ACTIVE"
js=$("$ISN_BIN" status --json) || fail "iscsi-nbd status --json exited $?"
echo "$js"
if command -v python3 >/dev/null; then
	echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, list) and len(d) == 1, "one device expected: %r" % d
d = d[0]
assert d["device"] == "/dev/nbd0", d["device"]
assert d["state"] == "running", d["state"]
assert d["lun"] == 1, d["lun"]
assert d["identity"] == sys.argv[1], d["identity"]
assert d["size_bytes"] == int(sys.argv[2]), d["size_bytes"]
assert d["logical_block_size"] == 512, d["logical_block_size"]
assert len(d["paths"]) == 2, d["paths"]
for p in d["paths"]:
    assert p["state"] == "ACTIVE", p
assert sorted(p["portal"] for p in d["paths"]) == sorted(sys.argv[3:]), d["paths"]
' "$ident" $((lun_mb << 20)) "$TGT_IP1:3260" "$TGT_IP2:3260" ||
		fail "status --json is wrong (above)"
else
	echo "$js" | grep -q '"device":"/dev/nbd0"' || fail "status --json: no device"
	[ "$(echo "$js" | grep -o '"state":"ACTIVE"' | wc -l)" = 2 ] ||
		fail "status --json: not two ACTIVE paths"
fi

fs_exercise "$dev" 100
# The writes really reached the target: its backing file holds the GPT
# header at LBA 1.
[ "$(dd if="$TGT_BACKING" bs=1 skip=512 count=8 2>/dev/null)" = "EFI PART" ] ||
	fail "no GPT header in the target's backing file"

# Discard on partition 2: fill 32 MiB of it, then blkdiscard the partition;
# tgtd punches the holes, so the backing file must shrink.
if [ $thin = 1 ]; then
	dmax=$(cat "$sys/queue/discard_max_bytes")
	[ "$dmax" -gt 0 ] || fail "thin LUN, but discard_max_bytes is $dmax (no SEND_TRIM?)"
	dd if=/dev/urandom of="${dev}p2" bs=1M count=32 oflag=direct status=none ||
		fail "write to ${dev}p2"
	sync
	before=$(stat -c %b "$TGT_BACKING")
	blkdiscard "${dev}p2" || fail "blkdiscard ${dev}p2"
	after=$(stat -c %b "$TGT_BACKING")
	log "backing file: $before blocks before blkdiscard, $after after"
	[ "$after" -lt $((before - 32 * 2048 / 2)) ] ||
		fail "blkdiscard did not deallocate at least 16 MiB of the backing file"
else
	log "NOTE: tgtd refused thin_provisioning=1: discard part skipped"
fi

isn_detach
[ ! -e "$ISCSI_NBD_RUNDIR/nbd0.sock" ] || fail "control socket left after detach"

# Attach the same device again: the files are still there.
isn_attach 30 -- "${P[@]}" --device /dev/nbd0
[ "$ISN_DEV" = /dev/nbd0 ] || fail "re-attached $ISN_DEV"
wait_for 10 test -b "${dev}p1" || fail "${dev}p1 did not reappear after re-attach"
mount "${dev}p1" /scratch/mnt || fail "mount ${dev}p1 after re-attach"
(cd /scratch/mnt && sha256sum -c --quiet /scratch/sums) ||
	fail "checksums differ after detach and re-attach"
umount /scratch/mnt || fail "umount after re-attach"
isn_detach
log "data intact across detach and re-attach"
