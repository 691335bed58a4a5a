#!/bin/bash
# Naming an attached device any way, and never detaching one in use
# (issue 15), with two daemons: one started with --name store, one with
# --config db (whose [daemon] name is dbd, as a systemd instance would be).
# Proves that:
# - status and detach reach the daemon by /dev/nbd0, nbd0, its name, the
#   configuration name, a partition (/dev/nbd0p1, shown as a partition of
#   /dev/nbd0) and the /dev/disk/by-id link (made as the udev rule makes
#   it); an unknown name fails (1) and lists what is running;
# - with ext4 mounted and 20 MiB of dirty data, detach by every name is
#   refused with exit 10 and the mount point in the message, the device
#   stays attached; so it is with a partition used as swap (named) and
#   with a device-mapper linear target on a partition (the holder named);
# - after umount, detach, re-attach (by --config) and e2fsck the dirty data
#   is intact;
# - list is a table with the device, name and mount point, list --json
#   parses (json.loads) with device, name, target, lun, paths 2/2, state
#   and mounts;
# - detach --force on a mounted device detaches, says so, and the synced
#   file survives (the kernel's messages are kept in dmesg-force);
# - SIGTERM with ext4 mounted and dirty data writes it back before the
#   disconnect (the file is intact after re-attach);
# - a flush that fails (dirty pages, every cable pulled) makes detach exit
#   5 and say the device stays attached; it does, and detaches later.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm sfdisk mkfs.ext4 e2fsck mkswap swapon dmsetup python3 sha256sum
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth dm-mod
net2_setup
tgtd_start 256
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd ISCSI_NBD_CONFDIR=/scratch/etc
P=(-t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1)
dev=/dev/nbd0
mnt=/scratch/mnt
mkdir -p "$mnt" "$ISCSI_NBD_CONFDIR"
on_exit "umount $mnt 2>/dev/null; swapoff ${dev}p2 2>/dev/null; dmsetup remove isn-lin 2>/dev/null"

# by_id: the links 60-iscsi-nbd.rules makes (no udevd in the guest).
by_id() {
	local b
	b=$(cat /sys/block/nbd0/backend) || fail "no backend identifier"
	mkdir -p /dev/disk/by-id
	ln -sfn ../../nbd0 "/dev/disk/by-id/iscsi-nbd-$b"
	ln -sfn ../../nbd0p1 "/dev/disk/by-id/iscsi-nbd-$b-part1"
	BYID=/dev/disk/by-id/iscsi-nbd-$b
}

# status_names NAME...: status by each name shows the daemon serving nbd0.
status_names() {
	local n out
	for n in "$@"; do
		out=$("$ISN_BIN" status "$n" 2>&1) || fail "status $n exited $?: $out"
		echo "$out" | grep -q "^$DNAME: running, /dev/nbd0" ||
			fail "status $n does not show $DNAME on /dev/nbd0: $out"
		case $n in
		*p1 | *-part1)
			echo "$out" | grep -q "^/dev/nbd0p1: a partition of /dev/nbd0" ||
				fail "status $n does not name the parent device: $out"
			;;
		esac
		log "status $n: ok"
	done
}

# refused WHAT NAME...: detach by each name exits 8 with WHAT in the
# message, and the device stays attached.
refused() {
	local what=$1 n rc
	shift
	for n in "$@"; do
		out=$("$ISN_BIN" detach "$n" 2>&1)
		rc=$?
		[ $rc = 10 ] || fail "detach $n with $what: exit $rc, want 10: $out"
		echo "$out" | grep -qF -- "$what" || fail "detach $n: message does not name '$what': $out"
		blockdev_has_size $dev || fail "detach $n was refused but $dev lost its size"
		kill -0 "$ISN_PID" || fail "detach $n was refused but the daemon is gone"
	done
	log "detach refused ($what): $out"
}

# ---- daemon 1: --name store ----------------------------------------------
isn_attach 30 -- "${P[@]}" --device $dev --name store
DNAME=store
printf 'label: gpt\n,64M\n,32M\n,\n' | sfdisk -q $dev || fail "sfdisk"
wait_for 10 test -b ${dev}p3 || fail "partitions did not appear"
by_id
status_names $dev nbd0 store ${dev}p1 nbd0p1 "$BYID" "$BYID-part1"
out=$("$ISN_BIN" status nosuch 2>&1)
rc=$?
[ $rc = 1 ] || fail "status of an unknown name: exit $rc"
echo "$out" | grep -q "store (/dev/nbd0)" || fail "unknown name does not list what runs: $out"
out=$("$ISN_BIN" detach nosuch 2>&1) && fail "detach of an unknown name succeeded"
echo "$out" | grep -q "store (/dev/nbd0)" || fail "detach nosuch does not list what runs: $out"

mkfs.ext4 -q -F ${dev}p1 || fail "mkfs.ext4"
mount ${dev}p1 $mnt || fail "mount"
head -c 20M /dev/urandom >$mnt/dirty || fail "write dirty data"
(cd $mnt && sha256sum dirty >/scratch/sums)
log "20 MiB written, not synced: $(grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' ' | paste -sd' ')"
refused "nbd0p1 mounted on $mnt" $dev nbd0 store ${dev}p1 "$BYID" "$BYID-part1"
echo "$out" | grep -q "umount $mnt" || fail "the refusal does not say what to do: $out"
echo "$out" | grep -q "open exclusively" && fail "the mount is reported as an unknown program too: $out"

# list: table and JSON, with the mount point.
out=$("$ISN_BIN" list) || fail "list exited $?"
echo "$out"
echo "$out" | grep -E "^/dev/nbd0 +store +$TGT_IQN +1 +2/2 +running +$mnt\$" >/dev/null ||
	fail "list table row is wrong: $out"
js=$("$ISN_BIN" list --json) || fail "list --json exited $?"
echo "$js"
echo "$js" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert isinstance(d, list) and len(d) == 1, d
d = d[0]
assert d["device"] == "/dev/nbd0", d
assert d["name"] == "store", d
assert d["target"] == sys.argv[1], d
assert d["lun"] == 1, d
assert d["paths_up"] == 2 and d["paths_total"] == 2, d
assert d["state"] == "running", d
assert d["mounts"] == [sys.argv[2]], d
' "$TGT_IQN" $mnt || fail "list --json is wrong"

# Swap on partition 2, device-mapper on partition 3: refused, named.
mkswap -q ${dev}p2 >/dev/null || fail "mkswap"
swapon ${dev}p2 || fail "swapon"
refused "nbd0p2 used as swap" store $dev
echo "$out" | grep -q "swapoff /dev/nbd0p2" || fail "the refusal does not say swapoff: $out"
swapoff ${dev}p2 || fail "swapoff"
dmsetup create isn-lin --table "0 $(blockdev --getsz ${dev}p3) linear ${dev}p3 0" ||
	fail "dmsetup create"
refused "nbd0p3 held by dm-0 (isn-lin)" store nbd0p3
echo "$out" | grep -q "dmsetup remove isn-lin" || fail "the refusal does not say dmsetup remove: $out"
dmsetup remove isn-lin || fail "dmsetup remove"

umount $mnt || fail "umount"
isn_detach
[ ! -S $ISCSI_NBD_RUNDIR/store.sock ] || fail "control socket left after detach"

# ---- daemon 2: --config db ([daemon] name = dbd) -------------------------
cat >$ISCSI_NBD_CONFDIR/db.conf <<EOC
[target]
name = $TGT_IQN
lun = 1
portal = $TGT_IP1
portal = $TGT_IP2
[path]
no_path_retry = 3s
[attach]
device = /dev/nbd0
[daemon]
name = dbd
EOC
isn_attach 30 -- --config db
DNAME=dbd
wait_for 10 test -b ${dev}p1 || fail "${dev}p1 did not reappear after re-attach"
by_id
e2fsck -f -n ${dev}p1 >$UML_OUT/e2fsck-1.log 2>&1 || fail "e2fsck after re-attach (e2fsck-1.log)"
mount ${dev}p1 $mnt || fail "mount after re-attach"
(cd $mnt && sha256sum -c --quiet /scratch/sums) || fail "dirty data lost across detach"
log "20 MiB dirty at the refused detaches: intact after umount, detach, re-attach, e2fsck"
status_names db dbd $dev nbd0 ${dev}p1 "$BYID" "$BYID-part1"
head -c 20M /dev/urandom >$mnt/dirty2 || fail "write dirty data"
refused $mnt db dbd $dev ${dev}p1 "$BYID-part1"

# --force: flushes, detaches, says so; the kernel's reaction is logged.
(cd $mnt && sha256sum dirty2 >/scratch/sums2)
mark=$(dmesg | wc -l)
out=$("$ISN_BIN" detach --force db 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "detach --force exited $rc"
echo "$out" | grep -q "detached by force" || fail "detach --force does not say what it did"
echo "$out" | grep -qF "$mnt" || fail "detach --force does not name the mount point"
wait_for 15 sh -c "! kill -0 $ISN_PID" || fail "daemon still running after detach --force"
wait "$ISN_PID"
log "daemon exit after detach --force: $?"
ISN_PID=''
ls $mnt >/dev/null 2>&1
umount $mnt 2>/dev/null || umount -l $mnt || fail "umount after --force"
# The kernel keeps the size while the filesystem holds the device open.
wait_for 10 test "$(blockdev_size $dev)" = 0 || fail "$dev still has a size after --force + umount"
dmesg | tail -n +$((mark + 1)) >$UML_OUT/dmesg-force
log "kernel messages after detach --force ($(wc -l <$UML_OUT/dmesg-force) lines, dmesg-force):"
grep -iE 'nbd0|I/O error|EXT4|JBD2' $UML_OUT/dmesg-force | head -20

# What --force synced before the disconnect is on the LUN.
isn_attach 30 -- --config db
wait_for 10 test -b ${dev}p1 || fail "${dev}p1 did not reappear"
e2fsck -f -y ${dev}p1 >$UML_OUT/e2fsck-2.log 2>&1
rc=$?
[ $rc -le 1 ] || fail "e2fsck after --force: exit $rc (e2fsck-2.log)"
mount ${dev}p1 $mnt || fail "mount after --force"
(cd $mnt && sha256sum -c --quiet /scratch/sums /scratch/sums2) ||
	fail "data synced by detach --force is not on the LUN"
log "detach --force: the data it synced survived (e2fsck exit $rc)"

# SIGTERM while mounted: written back before the disconnect.
rm $mnt/dirty $mnt/dirty2 && sync || fail "make room"
head -c 20M /dev/urandom >$mnt/dirty3 || fail "write dirty data"
(cd $mnt && sha256sum dirty3 >/scratch/sums3)
kill -TERM "$ISN_PID"
wait_for 20 sh -c "! kill -0 $ISN_PID" || fail "daemon did not stop on SIGTERM"
wait "$ISN_PID"
log "daemon exit after SIGTERM while mounted: $?"
ISN_PID=''
grep "in use" "$UML_OUT/iscsi-nbd.log" | tail -1
umount $mnt 2>/dev/null || umount -l $mnt
isn_attach 30 -- --config db
wait_for 10 test -b ${dev}p1 || fail "${dev}p1 did not reappear"
e2fsck -f -y ${dev}p1 >$UML_OUT/e2fsck-3.log 2>&1
[ $? -le 1 ] || fail "e2fsck after SIGTERM (e2fsck-3.log)"
mount ${dev}p1 $mnt || fail "mount after SIGTERM"
(cd $mnt && sha256sum -c --quiet /scratch/sums3) || fail "SIGTERM lost the dirty data"
umount $mnt || fail "umount"
log "SIGTERM while mounted: dirty data written back before the disconnect"

# A flush that fails is an error, and the device stays: dirty pages on
# p3, no path left (no_path_retry 3 s), detach exits 5.
dd if=/dev/urandom of=${dev}p3 bs=1M count=4 status=none || fail "buffered write to p3"
cable_pull 1
cable_pull 2
wait_for 20 sh -c "'$ISN_BIN' list | grep -q ' 0/2 '" || fail "paths did not fail"
out=$("$ISN_BIN" detach db 2>&1)
rc=$?
echo "$out"
[ $rc = 5 ] || fail "detach with a failing flush: exit $rc, want 5"
echo "$out" | grep -q "stays attached" || fail "detach does not say the device stays: $out"
blockdev_has_size $dev || fail "$dev lost its size although the flush failed"
kill -0 "$ISN_PID" || fail "the daemon stopped although the flush failed"
cable_plug 1
cable_plug 2
wait_for 60 sh -c "'$ISN_BIN' list | grep -q ' 2/2 '" || fail "paths did not come back"
log "failed flush: detach exit 5, device kept; paths back"
isn_detach
