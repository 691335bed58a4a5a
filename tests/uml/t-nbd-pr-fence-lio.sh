#!/bin/bash
# The reservation fence of a dead path on a real target (issue 10): when a
# path dies with a write in doubt and no healthy path shares its portal
# group, no login can reinstate its ISID, so a live path must PREEMPT AND
# ABORT the dead path's key before the held write is reported done.
# - LIO with two target portal groups: TPG 1 has the portal on network 1,
#   TPG 2 the one on network 2, the same LUN (one backstore) in both; one
#   daemon attaches /dev/nbd0 over both (failover: path0, network 1,
#   carries the I/O);
# - network 1 delays every packet from the initiator to the target by
#   ${FENCE_DELAY_S}s (netem on the initiator's side only): a write of
#   pattern OLD to block B goes out on path0 and sits in the cable, so it
#   is in doubt: it would land at the target late, on the old session;
#   NOP-Outs sit there too, so path0 goes silent and dies;
# - the daemon must fence with PREEMPT AND ABORT of path0's key through
#   path1 (its log says "fenced by reservation" and `status` says
#   "last fence: reservation"), and only then report the write done;
# - pattern NEW is then written to block B (through path1);
# - once the cable has delivered what it held (LIO's command count on
#   TPG 1 grows: OLD reached the target on path0's old session, after NEW),
#   block B reads back as NEW both through /dev/nbd0 and in LIO's backing
#   file: the old write never landed after the newer one;
# Prints the time from path death to fence (daemon's log and status) and
# how long the write was held.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tc cmp
UML_SANITIZER_OK=1 uml_guest "$0" "FENCE_DELAY_S=${FENCE_DELAY_S:-10}"

: "${FENCE_DELAY_S:=10}"
load_modules nbd veth sch_netem
net2_setup
lio_start 64

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A second portal group for network 2: TPG 1 keeps only network 1's
# portal, TPG 2 gets network 2's and LUN 0 on the same backstore.
tpg1=$LIO_CFS/iscsi/$LIO_IQN/tpgt_1
tpg2=$LIO_CFS/iscsi/$LIO_IQN/tpgt_2
lio_tpg2_stop() {
	[ -d "$tpg2" ] || return 0
	echo 0 >"$tpg2/enable" 2>/dev/null
	in_tgt sh -c "mount -t configfs configfs /sys/kernel/config 2>/dev/null;
		rmdir '$tpg2/np/$TGT_IP2:3260'" 2>/dev/null
	rm -f "$tpg2/lun/lun_0/disk1"
	rmdir "$tpg2/lun/lun_0" "$tpg2" 2>/dev/null
	return 0
}
echo 0 >"$tpg1/enable" || fail "disable TPG 1"
in_tgt sh -c "mount -t configfs configfs /sys/kernel/config 2>/dev/null;
	rmdir '$tpg1/np/$TGT_IP2:3260'" || fail "remove network 2's portal from TPG 1"
echo 1 >"$tpg1/enable" || fail "enable TPG 1"
mkdir -p "$tpg2/lun/lun_0" || fail "LIO TPG 2"
on_exit lio_tpg2_stop
ln -s "$LIO_CFS/core/fileio_0/disk1" "$tpg2/lun/lun_0/disk1" || fail "TPG 2 lun link"
for kv in authentication=0 generate_node_acls=1 cache_dynamic_acls=1 demo_mode_write_protect=0; do
	echo "${kv#*=}" >"$tpg2/attrib/${kv%=*}" || fail "TPG 2 attribute $kv"
done
in_tgt sh -c "mount -t configfs configfs /sys/kernel/config 2>/dev/null;
	mkdir '$tpg2/np/$TGT_IP2:3260'" || fail "TPG 2 portal on network 2"
echo 1 >"$tpg2/enable" || fail "enable TPG 2"
log "LIO: TPG 1 on $(ls "$tpg1/np"), TPG 2 on $(ls "$tpg2/np"), one LUN"

name=iqn.2026-12.org.iscsi-nbd.test:fence
isn_attach -- -t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0 --policy failover \
	--initiator-name "$name" --device /dev/nbd0
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/iscsi-nbd.log'" ||
	fail "the daemon's log does not say the LUN is reserved"
wait_for 20 sh -c "'$ISN_BIN' status | grep -q ' path0 [^ ]*: ACTIVE' &&
	'$ISN_BIN' status | grep -q ' path1 [^ ]*: \(ACTIVE\|STANDBY\)'" || {
	"$ISN_BIN" status
	fail "path0 is not ACTIVE with path1 beside it"
}
"$ISN_BIN" status | sed 's/^/    status: /'
# The two paths really are two portal groups (so no fence login can work).
grep -q 'tpgt\|portal group' "$UML_OUT/iscsi-nbd.log" &&
	grep -i 'tpgt\|portal group' "$UML_OUT/iscsi-nbd.log" | sed 's/^/    log: /'

# Block B: 4 KiB at 1 MiB; OLD is the write held in the cable, NEW the later one.
blk=256
head -c 4096 /dev/urandom >/scratch/old
head -c 4096 /dev/urandom >/scratch/new
head -c 4096 /dev/urandom >/scratch/first
dd if=/scratch/first of=/dev/nbd0 bs=4096 seek=$blk count=1 oflag=direct 2>/dev/null ||
	fail "the first write to block $blk failed"

# Only the initiator's side of network 1: what path0 sends reaches the
# target FENCE_DELAY_S later, in order (netem delay keeps the order).
tc qdisc replace dev "$INI_DEV1" root netem delay "${FENCE_DELAY_S}s" limit 100000 ||
	fail "netem delay on $INI_DEV1"
on_exit "tc qdisc del dev $INI_DEV1 root 2>/dev/null"
t0=$(now_ms)
dd if=/scratch/old of=/dev/nbd0 bs=4096 seek=$blk count=1 oflag=direct 2>/scratch/dd-old.err
rc=$?
t_old=$(($(now_ms) - t0))
[ $rc = 0 ] || fail "the write held in the cable failed after $t_old ms: $(tail -1 /scratch/dd-old.err)"
log "write OLD to block $blk done after $t_old ms (path0's packets delayed ${FENCE_DELAY_S} s)"
dd if=/scratch/new of=/dev/nbd0 bs=4096 seek=$blk count=1 oflag=direct 2>/scratch/dd-new.err ||
	fail "write NEW failed: $(tail -1 /scratch/dd-new.err)"
t_new=$(($(now_ms) - t0))
log "write NEW to block $blk done at +$t_new ms"
grep -i -e reserv -e preempt -e fence -e 'path0:.*fail' "$UML_OUT/iscsi-nbd.log" | tail -20 |
	sed 's/^/    log: /'
[ $t_new -lt $((FENCE_DELAY_S * 1000)) ] ||
	fail "NEW was written only at +$t_new ms, after OLD may have landed: the test proves nothing"

grep -q 'path0: ACTIVE -> FAILED: no traffic for .* while [1-9][0-9]* commands' "$UML_OUT/iscsi-nbd.log" ||
	fail "path0 did not die silent with a command outstanding: OLD was never in doubt on it"
line=$(grep 'path0: dead session fenced by reservation: PREEMPT AND ABORT' "$UML_OUT/iscsi-nbd.log" | tail -1)
[ -n "$line" ] || fail "the daemon did not fence path0 by reservation (PREEMPT AND ABORT)"
fence_ms=$(echo "$line" | sed -n 's/.*, \([0-9]*\) ms after it died.*/\1/p')
grep -q 'path0: old session fenced (reservation)' "$UML_OUT/iscsi-nbd.log" ||
	fail "the daemon's log does not say the held writes were released by the reservation fence"
"$ISN_BIN" status >/scratch/status
st=$(grep 'last fence:' /scratch/status | head -1)
echo "$st" | grep -q 'last fence: reservation' || {
	cat /scratch/status
	fail "status does not say path0's last fence was the reservation"
}
log "fence: PREEMPT AND ABORT of path0's key ${fence_ms} ms after path0 died (log);$st"

# Let the cable deliver what it held: OLD on path0's old connection
# reaches TPG 1 at +FENCE_DELAY_S s (netem keeps the order, so nothing of
# a later session of path0 comes before it: that needs two delayed trips,
# its SYN and then its login). LIO counts every command its port for the
# LUN receives, a refused one too: TPG 1's count must grow then, or OLD
# never reached the target and the test proved nothing.
cnt=$tpg1/lun/lun_0/statistics/scsi_tgt_port/in_cmds
[ -r "$cnt" ] || fail "LIO has no command count $cnt"
n_before=$(cat "$cnt")
[ "$(now_ms)" -lt $((t0 + FENCE_DELAY_S * 1000)) ] ||
	fail "the delay ran out before TPG 1's command count was read: the test proves nothing"
while [ "$(now_ms)" -lt $((t0 + FENCE_DELAY_S * 1000 + 3000)) ]; do
	sleep 0.2
done
n_after=$(cat "$cnt")
tc -s qdisc show dev "$INI_DEV1" | sed 's/^/    tc: /'
log "TPG 1 (network 1) commands received: $n_before after NEW, $n_after at +$(($(now_ms) - t0)) ms"
[ "$n_after" -gt "$n_before" ] ||
	fail "OLD did not reach TPG 1 within $FENCE_DELAY_S s + 3 s: the test proved nothing"
tc qdisc del dev "$INI_DEV1" root 2>/dev/null

echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/nbd0 bs=4096 skip=$blk count=1 iflag=direct 2>/dev/null >/scratch/back ||
	fail "read back of block $blk failed"
cmp -s /scratch/back /scratch/new || {
	cmp -s /scratch/back /scratch/old && fail "block $blk reads back as OLD: the held write landed after NEW"
	fail "block $blk reads back as neither NEW nor OLD"
}
dd if="$LIO_BACKING" bs=4096 skip=$blk count=1 2>/dev/null | cmp -s - /scratch/new ||
	fail "LIO's backing file does not hold NEW at block $blk"
grep -i -e 'path0' "$UML_OUT/iscsi-nbd.log" | tail -8 | sed 's/^/    log: /'
dmesg | grep -i -e 'reservation' -e 'iSCSI.*reinstat' -e 'PR_' | tail -8 | sed 's/^/    dmesg: /'

wait_for 60 sh -c "[ \"\$('$ISN_BIN' status | grep -c ': \(ACTIVE\|STANDBY\)')\" = 2 ]" ||
	fail "path0 did not come back within 60 s of the cable's delay ending"
isn_detach
log "reservation fence: PREEMPT AND ABORT ${fence_ms} ms after path0 died, OLD held $t_old ms, never landed after NEW"
exit 0
