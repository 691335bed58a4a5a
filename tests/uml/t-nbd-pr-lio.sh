#!/bin/bash
# Exclusive access with SCSI-3 persistent reservations in a real kernel
# (issue 10), against the in-kernel LIO target, which implements PREEMPT
# AND ABORT (tgtd does not). Two hosts in one guest: two daemons with
# different initiator names, each with its own ISCSI_NBD_RUNDIR (the
# per-host LUN lock would refuse the second one otherwise); LIO's demo
# mode lets both in.
# - host A attaches /dev/nbd0 over both networks, mkfs.ext4, mounts, writes
#   a file; `pr keys` shows A's two path keys, `pr reservation` type 5;
# - host B's attach of the same LUN exits 11 in under 2 s naming A's key,
#   registers nothing, and the LUN's bytes (LIO's backing file, A's
#   filesystem frozen meanwhile) are unchanged;
# - B --read-only attaches /dev/nbd1: `blockdev --getro` is 1, a
#   `mount -o ro,noload` reads A's file, a dd oflag=direct to /dev/nbd1
#   fails and its pattern is nowhere in the LUN, B detaches;
# - A writes a second file, syncs and is SIGKILLed: /dev/nbd0 and A's mount
#   stay (what A's kernel then does with its I/O is logged: it errors it
#   after A's --dead-conn-timeout); B attaches /dev/nbd1 with --preempt:
#   the log says PREEMPT AND ABORT, not the PREEMPT fallback; e2fsck
#   (journal replay, then -f -n) is clean; B mounts, reads A's two files,
#   writes its own; e2fsck -f -n after umount is clean; A's keys are gone
#   (network 1 is slowed meanwhile, so that B's path1 holds the reservation);
# - A restarted on /dev/nbd0 is refused with exit 11 naming B's key;
# - B detaches: reservation and registrations are gone (the CLEAR must go
#   through the holder's path: LIO refuses it from B's other nexus).
# Prints the time of each step.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires mkfs.ext4 e2fsck fsfreeze sha256sum blockdev
UML_SANITIZER_OK=1 uml_guest "$0"

lun_mb=128
load_modules nbd veth
net2_setup
lio_start $lun_mb

name_a=iqn.2026-12.org.iscsi-nbd.test:host-a
name_b=iqn.2026-12.org.iscsi-nbd.test:host-b
run_a=/run/isn-a run_b=/run/isn-b
mkdir -p "$run_a" "$run_b"
tgt=(-t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0)
mnt_a=/scratch/mnt-a mnt_b=/scratch/mnt-b
mkdir -p "$mnt_a" "$mnt_b"
A_PID='' B_PID=''
on_exit '[ -n "$B_PID" ] && kill_wait $B_PID 10'
on_exit '[ -n "$A_PID" ] && kill -9 $A_PID 2>/dev/null'
# A's mount outlives A's daemon: only a lazy umount cannot hang on it.
on_exit "umount $mnt_b 2>/dev/null; umount -l $mnt_a 2>/dev/null"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(now_ms)
step() { log "[+$(($(now_ms) - T0)) ms] $*"; }

# daemon HOST DEV ARGS..: `iscsi-nbd -v attach -f` as host HOST (a or b)
# on DEV in the background, log $UML_OUT/HOST.log (appended); waits for
# DEV to get a size; sets DPID.
daemon() {
	local h=$1 dev=$2 run name
	shift 2
	eval "run=\$run_$h name=\$name_$h"
	echo "=== attach $* (host $h)" >>"$UML_OUT/$h.log"
	ISCSI_NBD_RUNDIR=$run "$ISN_BIN" -v attach "${tgt[@]}" --initiator-name "$name" \
		--device "$dev" "$@" -f >>"$UML_OUT/$h.out" 2>>"$UML_OUT/$h.log" &
	DPID=$!
	if ! wait_blockdev "$dev" 30; then
		cat "$UML_OUT/$h.log"
		fail "host $h: $dev got no size within 30 s"
	fi
	kill -0 $DPID 2>/dev/null || fail "host $h: attach -f did not stay in the foreground"
}

# pr WHAT: `iscsi-nbd pr WHAT` as a third nexus (host B's name), to pr.out.
pr() {
	ISCSI_NBD_RUNDIR=$run_b timeout 30 "$ISN_BIN" pr "$@" -t "$LIO_IQN" -P "$TGT_IP1" -l 0 \
		--initiator-name "$name_b" >/scratch/pr.out 2>/scratch/pr.err ||
		fail "pr $*: exit $?: $(cat /scratch/pr.err)"
	sed 's/^/    pr: /' /scratch/pr.out
}

# lun_sum: checksum of every byte of the LUN (LIO's backing file).
lun_sum() {
	sha256sum "$LIO_BACKING" | cut -d' ' -f1
}

# ---- 1. host A attaches, mkfs, mount, writes ------------------------------
step "host A: attach /dev/nbd0 over both networks"
daemon a /dev/nbd0 --dead-conn-timeout 10
A_PID=$DPID
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/a.log'"
key_a=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$UML_OUT/a.log" | head -1)
[ -n "$key_a" ] || fail "A's log does not say the LUN is reserved"
host_a=${key_a%??}
step "host A holds the LUN with key $key_a"
ISCSI_NBD_RUNDIR=$run_a "$ISN_BIN" status | sed 's/^/    /'
pr keys
[ "$(grep -c "^$host_a" /scratch/pr.out)" = 2 ] || fail "A's two paths are not both registered"
pr reservation
grep -q "$key_a" /scratch/pr.out || fail "READ RESERVATION does not name A's key"
grep -q "Write Exclusive - Registrants Only" /scratch/pr.out || fail "reservation is not type 5"

mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/nbd0 || fail "mkfs.ext4 /dev/nbd0"
mount /dev/nbd0 "$mnt_a" || fail "mount /dev/nbd0"
head -c 4M /dev/urandom >"$mnt_a/a1" || fail "A writes a1"
sum_a1=$(sha256sum <"$mnt_a/a1")
step "host A: ext4 on /dev/nbd0 mounted, a1 written"

# Freeze A's filesystem: its on-disk image is then clean and nothing of
# A's changes the LUN while B tries, so the LUN's checksum can prove that
# B wrote nothing.
fsfreeze -f "$mnt_a" || fail "fsfreeze $mnt_a"
on_exit "fsfreeze -u $mnt_a 2>/dev/null"
sum_before=$(lun_sum)

# ---- 2. host B is refused ---------------------------------------------------
step "host B: attach the same LUN on /dev/nbd1"
t=$(now_ms)
ISCSI_NBD_RUNDIR=$run_b timeout 30 "$ISN_BIN" attach "${tgt[@]}" --initiator-name "$name_b" \
	--device /dev/nbd1 >/scratch/b.out 2>/scratch/b.err
rc=$?
ms=$(($(now_ms) - t))
sed 's/^/    B: /' /scratch/b.err
[ $rc = 11 ] || fail "B's attach exited $rc, want 11"
grep -q "reserved by another host" /scratch/b.err || fail "B's refusal does not say why"
grep -q "$key_a" /scratch/b.err || fail "B's refusal does not name A's key $key_a"
grep -q -- "--preempt" /scratch/b.err || fail "B's refusal does not say how to take over"
[ $ms -lt 2000 ] || fail "B's refusal took $ms ms"
step "host B refused with exit 11 in $ms ms"
[ "$(blockdev_size /dev/nbd1)" = 0 ] || fail "/dev/nbd1 got a size from a refused attach"
[ "$(lun_sum)" = "$sum_before" ] || fail "the LUN's bytes changed during B's refused attach"
pr keys
if grep "^0x" /scratch/pr.out | grep -v -q "^$host_a"; then
	fail "B registered a key although it was refused"
fi
step "LUN unchanged (sha256 of all $lun_mb MiB), only A's keys registered"

# ---- 3. host B read-only beside A ------------------------------------------
step "host B: attach --read-only /dev/nbd1"
daemon b /dev/nbd1 --read-only
B_PID=$DPID
ro=$(blockdev --getro /dev/nbd1)
[ "$ro" = 1 ] || fail "blockdev --getro /dev/nbd1 is $ro"
mount -o ro,noload /dev/nbd1 "$mnt_b" || fail "mount -o ro,noload /dev/nbd1"
[ "$(sha256sum <"$mnt_b/a1")" = "$sum_a1" ] || fail "B reads a1 differently from A"
step "host B: getro 1, ro,noload mount reads A's file"
head -c 4096 /dev/urandom >/scratch/pattern
off_blk=$(((lun_mb << 20) / 4096 - 8))
t=$(now_ms)
if dd if=/scratch/pattern of=/dev/nbd1 bs=4096 seek=$off_blk count=1 oflag=direct \
	2>/scratch/dd.err; then
	fail "a write to read-only /dev/nbd1 succeeded"
fi
sed 's/^/    dd: /' /scratch/dd.err
step "write to /dev/nbd1 failed after $(($(now_ms) - t)) ms"
cmp -s /scratch/pattern <(dd if="$LIO_BACKING" bs=4096 skip=$off_blk count=1 2>/dev/null) &&
	fail "B's refused write reached the LUN"
pr keys
if grep "^0x" /scratch/pr.out | grep -v -q "^$host_a"; then
	fail "B read-only registered a key"
fi
umount "$mnt_b" || fail "umount $mnt_b"
ISCSI_NBD_RUNDIR=$run_b "$ISN_BIN" detach /dev/nbd1 || fail "B: detach /dev/nbd1"
wait_for 15 sh -c "! kill -0 $B_PID" || fail "B read-only did not exit after detach"
wait $B_PID
rc=$?
B_PID=''
[ $rc = 0 ] || fail "B read-only exited $rc after detach"
[ "$(lun_sum)" = "$sum_before" ] || fail "the LUN's bytes changed while B was read-only"
step "host B read-only detached; LUN unchanged"

# ---- 4. A dies, B takes over -----------------------------------------------
fsfreeze -u "$mnt_a" || fail "fsfreeze -u $mnt_a"
head -c 2M /dev/urandom >"$mnt_a/a2" || fail "A writes a2"
sum_a2=$(sha256sum <"$mnt_a/a2")
sync -f "$mnt_a" || fail "sync A's filesystem"
kill -9 $A_PID
wait $A_PID 2>/dev/null
A_PID=''
t_kill=$(now_ms)
step "host A SIGKILLed; /dev/nbd0 size $(blockdev_size /dev/nbd0), still mounted: $(grep -c " $mnt_a " /proc/mounts)"
# What A's kernel does with I/O now: it waits for a restarted daemon for
# --dead-conn-timeout (10 s), then fails it. Runs beside the take-over.
(
	t=$(now_ms)
	timeout 60 dd if=/dev/nbd0 of=/dev/null bs=4096 count=1 skip=100 iflag=direct \
		2>/scratch/a-read.err
	echo "rc $? after $(($(now_ms) - t)) ms: $(tail -1 /scratch/a-read.err)" >/scratch/a-read
) &
a_read=$!

# Network 1 slow while B attaches: path1 logs in first and takes the
# reservation, so the holder is not path0, the first path B's detach
# would try (LIO refuses a CLEAR from a nexus of ours that does not hold).
cable_netem 1 delay 300ms
on_exit "cable_clear 1"
step "host B: attach --preempt /dev/nbd1 (network 1 delayed 300 ms each way)"
t=$(now_ms)
daemon b /dev/nbd1 --preempt
B_PID=$DPID
step "host B serves /dev/nbd1 $(($(now_ms) - t)) ms after it started"
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/b.log'"
grep -i -e preempt -e reserv "$UML_OUT/b.log" | sed 's/^/    B: /'
grep -q "preempted the reservation of key $key_a .*with PREEMPT AND ABORT" "$UML_OUT/b.log" ||
	fail "B's log does not say it preempted $key_a with PREEMPT AND ABORT"
grep -q "refuses PREEMPT AND ABORT" "$UML_OUT/b.log" &&
	fail "LIO refused PREEMPT AND ABORT: B fell back to PREEMPT"
key_b=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$UML_OUT/b.log" | tail -1)
[ -n "$key_b" ] && [ "$key_b" != "$key_a" ] || fail "B's log does not say B reserved the LUN"
case $key_b in
*01) ;;
*) fail "B's reservation is held by $key_b, not path1's key: the delay on network 1 did not work" ;;
esac
cable_clear 1
wait_for 20 sh -c "ISCSI_NBD_RUNDIR=$run_b '$ISN_BIN' status | grep -c ': ACTIVE' | grep -qx 2" ||
	fail "B's two paths are not both ACTIVE"
pr keys
grep "^0x" /scratch/pr.out | grep -q "^$host_a" && fail "A's keys are still registered"
pr reservation
grep -q "$key_b" /scratch/pr.out || fail "READ RESERVATION does not name B's key"
step "host B holds the LUN with key $key_b, A's keys gone"

e2fsck -f -p /dev/nbd1 >/scratch/fsck1 2>&1
rc=$?
sed 's/^/    e2fsck -p: /' /scratch/fsck1
[ $rc -le 1 ] || fail "e2fsck -f -p /dev/nbd1 exited $rc"
e2fsck -f -n /dev/nbd1 >/scratch/fsck2 2>&1
rc=$?
sed 's/^/    e2fsck -n: /' /scratch/fsck2
[ $rc = 0 ] || fail "e2fsck -f -n /dev/nbd1 exited $rc: A's filesystem is not clean"
step "e2fsck on B's device clean"
mount /dev/nbd1 "$mnt_b" || fail "B: mount /dev/nbd1"
[ "$(sha256sum <"$mnt_b/a1")" = "$sum_a1" ] || fail "B reads a1 differently"
[ "$(sha256sum <"$mnt_b/a2")" = "$sum_a2" ] || fail "B reads a2 differently"
head -c 4M /dev/urandom >"$mnt_b/b1" || fail "B writes b1"
sum_b1=$(sha256sum <"$mnt_b/b1")
umount "$mnt_b" || fail "B: umount"
e2fsck -f -n /dev/nbd1 >/scratch/fsck3 2>&1 || fail "e2fsck -f -n after B's writes: $(cat /scratch/fsck3)"
echo 3 >/proc/sys/vm/drop_caches
mount /dev/nbd1 "$mnt_b" || fail "B: mount /dev/nbd1 again"
[ "$(sha256sum <"$mnt_b/b1")" = "$sum_b1" ] || fail "b1 differs after remount"
step "host B mounted, read a1 and a2, wrote b1, e2fsck clean, b1 verified"

wait $a_read
step "host A's kernel, read of /dev/nbd0 started at the kill: $(cat /scratch/a-read) (kill +$(($(now_ms) - t_kill)) ms)"

# ---- 5. A restarted is refused ----------------------------------------------
step "host A restarted on /dev/nbd0"
t=$(now_ms)
ISCSI_NBD_RUNDIR=$run_a timeout 30 "$ISN_BIN" attach "${tgt[@]}" --initiator-name "$name_a" \
	--device /dev/nbd0 >/scratch/a2.out 2>/scratch/a2.err
rc=$?
ms=$(($(now_ms) - t))
sed 's/^/    A: /' /scratch/a2.err
[ $rc = 11 ] || fail "A's restart exited $rc, want 11"
grep -q "$key_b" /scratch/a2.err || fail "A's refusal does not name B's key $key_b"
step "host A restarted: refused with exit 11 in $ms ms"
[ "$(sha256sum <"$mnt_b/b1")" = "$sum_b1" ] || fail "b1 changed"

# ---- 6. B detaches: the LUN is free -------------------------------------------
umount "$mnt_b" || fail "B: final umount"
ISCSI_NBD_RUNDIR=$run_b "$ISN_BIN" detach /dev/nbd1 || fail "B: detach /dev/nbd1"
wait_for 15 sh -c "! kill -0 $B_PID" || fail "B did not exit after detach"
wait $B_PID
rc=$?
B_PID=''
[ $rc = 0 ] || fail "B exited $rc after detach"
pr reservation
grep -q -i "no reservation" /scratch/pr.out || fail "B's detach left the reservation"
pr keys
grep -q "^0x" /scratch/pr.out && fail "B's detach left registrations"
step "host B detached: no reservation, no registrations; done"
exit 0
