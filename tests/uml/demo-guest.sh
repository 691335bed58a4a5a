#!/bin/bash
# The README's demo, run inside User-Mode Linux by ./demo.sh: an embedded
# tgtd target whose LUN is reachable over two networks, attached with
# iscsi-nbd over both (round-robin), partitioned, formatted, mounted and
# written; then one network cable is pulled while a write runs, and the
# write finishes and verifies on the other path. Also a test: any step that
# does not do what it says fails the demo.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm sfdisk mkfs.ext4 e2fsck sha256sum
UML_SANITIZER_OK=1 uml_guest "$0"

step() { echo; echo "==> $*"; }

load_modules nbd veth
step "two networks: 10.1.0.0/24 and 10.2.0.0/24, target in namespace $TGT_NS"
net2_setup
step "embedded target: tgtd with a 512 MiB LUN on portals $TGT_IP1 and $TGT_IP2"
tgtd_start 512

step "iscsi-nbd discover $TGT_IP1"
"$ISN_BIN" discover "$TGT_IP1" || fail "discover"

step "iscsi-nbd attach -t $TGT_IQN -l 1 -P $TGT_IP1 -P $TGT_IP2 --policy round-robin"
isn_attach 60 -- -t "$TGT_IQN" -l 1 -P "$TGT_IP1" -P "$TGT_IP2" --policy round-robin \
	--no-path-retry 30
echo "attached as $ISN_DEV: $(blockdev_size "$ISN_DEV") bytes," \
	"logical block $(cat /sys/block/${ISN_DEV#/dev/}/queue/logical_block_size)," \
	"backend $(cat /sys/block/${ISN_DEV#/dev/}/backend)"

step "sfdisk (GPT, two partitions), mkfs.ext4, mount, write, e2fsck, verify"
fs_exercise "$ISN_DEV" 32

step "iscsi-nbd status"
"$ISN_BIN" status || fail "status"

mnt=/scratch/demo
mkdir -p "$mnt"
mount "${ISN_DEV}p1" "$mnt" || fail "mount"
on_exit "umount $mnt 2>/dev/null"
step "pulling network cable 1 while 40 MiB are being written"
head -c 40M /dev/urandom >/scratch/big
( dd if=/scratch/big of="$mnt/big" bs=1M conv=fsync status=none && echo done >/scratch/dd.ok ) &
ddpid=$!
# The write is under way before the pull.
wait_for 10 test -s "$mnt/big" || fail "dd wrote nothing within 10 s"
cable_pull 1
echo "cable 1 pulled (ip link set $INI_DEV1 down)"
wait $ddpid || fail "the write failed after the cable pull"
[ -f /scratch/dd.ok ] || fail "the write did not finish"
sync
echo 3 >/proc/sys/vm/drop_caches
cmp /scratch/big "$mnt/big" || fail "data differs after the cable pull"
echo "write finished and verified with cable 1 out"

step "iscsi-nbd status (path over network 1 failed, network 2 carries the I/O)"
"$ISN_BIN" status || fail "status"

step "cable 1 back in"
cable_plug 1
wait_for 30 sh -c "'$ISN_BIN' status --json | grep -io '\"state\":\"active\"' | wc -l | grep -qx 2" ||
	echo "(path 1 not yet back within 30 s)"
"$ISN_BIN" status

umount "$mnt"
step "iscsi-nbd detach $ISN_DEV"
isn_detach || fail "detach"
echo
echo "demo finished: attached, partitioned, formatted, mounted, survived a cable pull, detached"
