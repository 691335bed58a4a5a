#!/bin/bash
# On LIO only the nexus that holds the persistent reservation may write
# (tests/uml/README.md, "LIO and persistent reservations"), so our writes
# go through the holder's path. Pulling that path's cable must not stop
# writes: a live path of ours takes the reservation over (PREEMPT AND ABORT
# of the dead path's key moves it, SPC-5 5.14.11.4).
# - one daemon attaches /dev/nbd0 over both networks (reservations are on
#   by default); a writer writes 64 KiB random blocks with dd oflag=direct,
#   one after the other, each kept for the verify;
# - `pr reservation` names the holder's key; its low byte is the path
#   index, path N is network N+1: that cable is pulled;
# - writes carry on: no dd fails, and 10 more blocks complete within 30 s;
# - `pr reservation` (through the live network) names the live path's key,
#   the daemon's log says which path holds it now;
# - every block written reads back identical (page cache dropped);
# - the cable back in: both paths ACTIVE, `pr keys` lists both our keys;
#   detach leaves no reservation.
# Prints the time from the pull to the first write done after it.
# ISN_HOLDERPULL=blackhole (in the caller's environment): a silent cable
# instead (100% loss, carrier up: only NOP-Out timeouts notice it, and the
# holder's path keeps trying to log in).
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires sha256sum cmp
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth
net2_setup
lio_start 64

name=iqn.2026-12.org.iscsi-nbd.test:holder
tgt=(-t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0)
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# pr IP WHAT: `iscsi-nbd pr WHAT` through portal IP as another nexus (its
# own initiator name and run folder), output in /scratch/pr.out.
mkdir -p /run/isn-pr
pr() {
	local ip=$1
	shift
	ISCSI_NBD_RUNDIR=/run/isn-pr timeout 30 "$ISN_BIN" pr "$@" -t "$LIO_IQN" -P "$ip" -l 0 \
		--initiator-name iqn.2026-12.org.iscsi-nbd.test:observer \
		>/scratch/pr.out 2>/scratch/pr.err || fail "pr $*: exit $?: $(cat /scratch/pr.err)"
	sed 's/^/    pr: /' /scratch/pr.out
}
path_state() {
	local ip
	eval "ip=\$TGT_IP$1"
	"$ISN_BIN" status --json 2>/dev/null | grep -o "\"portal\":\"$ip:3260\"[^}]*" |
		sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p'
}

isn_attach -- "${tgt[@]}" --initiator-name "$name" --device /dev/nbd0
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/iscsi-nbd.log'" ||
	fail "the daemon's log does not say the LUN is reserved"
wait_for 20 sh -c "[ \"\$('$ISN_BIN' status | grep -c ': ACTIVE')\" = 2 ]" ||
	fail "the two paths are not both ACTIVE"

# The writer: block i (64 KiB) at offset i, its bytes in /scratch/blk/i;
# /scratch/written is the count of blocks done, /scratch/wfail says why it stopped.
mkdir -p /scratch/blk
blocks=$((64 * 16 - 1))
(
	i=0
	while [ ! -e /scratch/stop ] && [ $i -lt $blocks ]; do
		head -c 65536 /dev/urandom >/scratch/blk/$i
		if ! dd if=/scratch/blk/$i of=/dev/nbd0 bs=65536 seek=$i count=1 oflag=direct \
			2>/scratch/dd.err; then
			echo "block $i: $(tail -1 /scratch/dd.err)" >/scratch/wfail
			exit 1
		fi
		i=$((i + 1))
		echo $i >/scratch/written.tmp && mv /scratch/written.tmp /scratch/written
	done
) &
wpid=$!
on_exit "touch /scratch/stop; kill $wpid 2>/dev/null"
written() { cat /scratch/written 2>/dev/null || echo 0; }
wait_for 30 sh -c '[ "$(cat /scratch/written 2>/dev/null || echo 0)" -ge 20 ]' ||
	fail "the writer did not write 20 blocks within 30 s: $(cat /scratch/wfail 2>/dev/null)"

pr "$TGT_IP1" reservation
holder=$(grep -o '0x[0-9a-f]\{16\}' /scratch/pr.out | head -1)
[ -n "$holder" ] || fail "READ RESERVATION names no key"
idx=$((16#${holder: -2}))
[ $idx -le 1 ] || fail "holder key $holder: path index $idx is not one of ours"
dead=$((idx + 1)) live=$((2 - idx))
eval "live_ip=\$TGT_IP$live"
log "reservation held by $holder (path$idx): pulling cable $dead"

n0=$(written)
t0=$(now_ms)
case ${ISN_HOLDERPULL:-pull} in
blackhole)
	cable_blackhole $dead
	on_exit "cable_clear $dead"
	;;
*)
	cable_pull $dead
	on_exit "cable_plug $dead 2>/dev/null"
	;;
esac
t_first=''
while [ $(($(now_ms) - t0)) -lt 30000 ]; do
	[ -e /scratch/wfail ] && break
	n=$(written)
	[ -z "$t_first" ] && [ "$n" -gt "$n0" ] && t_first=$(($(now_ms) - t0))
	[ "$n" -ge $((n0 + 10)) ] && break
	sleep 0.1
done
n=$(written)
log "blocks written: $n0 at the pull, $n $(($(now_ms) - t0)) ms later; first write after the pull done at +${t_first:-never} ms"
grep -i -e reserv -e preempt -e 'path[01]:.*\(fail\|fence\)' "$UML_OUT/iscsi-nbd.log" | tail -20 |
	sed 's/^/    log: /'
[ -e /scratch/wfail ] && fail "a write failed after the holder's cable was pulled: $(cat /scratch/wfail)"
[ "$n" -ge $((n0 + 10)) ] ||
	fail "writes stopped: $((n - n0)) blocks in 30 s after the holder's cable was pulled"

pr "$live_ip" reservation
grep -q "${holder%??}0$((live - 1))" /scratch/pr.out ||
	fail "the reservation is not held by the live path's key ${holder%??}0$((live - 1))"
grep -q "reservation is now held by .*path$((live - 1))" "$UML_OUT/iscsi-nbd.log" || fail "the daemon's log does not say which path holds the reservation"

touch /scratch/stop
wait $wpid || fail "writer: $(cat /scratch/wfail 2>/dev/null)"
n=$(written)
echo 3 >/proc/sys/vm/drop_caches
for i in $(seq 0 $((n - 1))); do
	dd if=/dev/nbd0 bs=65536 skip=$i count=1 iflag=direct 2>/dev/null | cmp -s - /scratch/blk/$i ||
		fail "block $i of $n reads back differently"
done
log "all $n blocks verified"

if [ "${ISN_HOLDERPULL:-pull}" = blackhole ]; then
	cable_clear $dead
else
	cable_plug $dead
fi
wait_for 60 sh -c "[ \"\$('$ISN_BIN' status | grep -c ': ACTIVE')\" = 2 ]" ||
	fail "path$idx did not come back ACTIVE within 60 s of the plug"
wait_for 10 sh -c "ISCSI_NBD_RUNDIR=/run/isn-pr timeout 30 '$ISN_BIN' pr keys -t '$LIO_IQN' \
	-P '$TGT_IP1' -l 0 --initiator-name iqn.2026-12.org.iscsi-nbd.test:observer |
	grep -c '^${holder%??}' | grep -qx 2" || fail "the returned path did not register its key again"
dd if=/dev/urandom of=/scratch/last bs=65536 count=1 2>/dev/null
dd if=/scratch/last of=/dev/nbd0 bs=65536 seek=$blocks count=1 oflag=direct ||
	fail "a write after the cable came back failed"
isn_detach
pr "$TGT_IP1" reservation
grep -q -i "no reservation" /scratch/pr.out || fail "detach left the reservation"
log "holder's cable pulled: writes went on, the reservation moved, detach released it"
exit 0
