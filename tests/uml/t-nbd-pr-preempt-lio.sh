#!/bin/bash
# PREEMPT AND ABORT of a host that is still writing (issue 10), on LIO
# (tgtd does not implement PREEMPT AND ABORT: tests/integration covers the
# PREEMPT fallback there). Two hosts in one guest, as in t-nbd-pr-lio.sh:
# two daemons, initiator names host-a and host-b, each its own
# ISCSI_NBD_RUNDIR.
# - host A attaches /dev/nbd0 over both networks; a writer writes 64 KiB
#   random blocks round a 1 MiB region with dd oflag=direct, one after the
#   other, and logs each start and end (ok or failed);
# - host B attaches /dev/nbd1 over both networks with --preempt while A
#   writes: B's log says it preempted A's key with PREEMPT AND ABORT (not
#   the PREEMPT fallback);
# - from then on every write of A fails (EIO from A's daemon, which logs
#   "LUN taken" with B's key): no write A started after B's device was up
#   completes, A's writer sees failures, A fails no path over it (a
#   RESERVATION CONFLICT is not a path failure: no path of A leaves ACTIVE,
#   and A sends its writes through its holder's path only, so nothing goes
#   to another path), A's status says LUN TAKEN with B's key;
# - B writes its pattern over the whole region while A keeps trying; A's
#   writer and daemon are stopped; the region reads back as B's pattern
#   through /dev/nbd1 and in LIO's backing file: no late write of A landed.
# Prints the time from B's start to A's first failed write.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires cmp
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth
net2_setup
lio_start 64

name_a=iqn.2026-12.org.iscsi-nbd.test:host-a
name_b=iqn.2026-12.org.iscsi-nbd.test:host-b
run_a=/run/isn-a run_b=/run/isn-b
mkdir -p "$run_a" "$run_b"
tgt=(-t "$LIO_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0)
A_PID='' B_PID='' W_PID=''
on_exit '[ -n "$B_PID" ] && kill_wait $B_PID 10'
on_exit '[ -n "$A_PID" ] && kill_wait $A_PID 10'
on_exit '[ -n "$W_PID" ] && { touch /scratch/stop; kill $W_PID 2>/dev/null; }'

# now_ms without a fork: the writer's timestamps are taken right at dd's
# start and end.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# daemon HOST DEV ARGS..: `iscsi-nbd -v attach -f` as host HOST (a or b)
# on DEV in the background, log $UML_OUT/HOST.log; waits for DEV to get a
# size; sets DPID.
daemon() {
	local h=$1 dev=$2 run name
	shift 2
	eval "run=\$run_$h name=\$name_$h"
	ISCSI_NBD_RUNDIR=$run "$ISN_BIN" -v attach "${tgt[@]}" --initiator-name "$name" \
		--device "$dev" "$@" -f >>"$UML_OUT/$h.out" 2>>"$UML_OUT/$h.log" &
	DPID=$!
	if ! wait_blockdev "$dev" 30; then
		cat "$UML_OUT/$h.log"
		fail "host $h: $dev got no size within 30 s"
	fi
	kill -0 $DPID 2>/dev/null || fail "host $h: attach -f did not stay in the foreground"
}

# ---- host A attaches and writes ------------------------------------------------
daemon a /dev/nbd0
A_PID=$DPID
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/a.log'" ||
	fail "A's log does not say the LUN is reserved"
key_a=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$UML_OUT/a.log" | head -1)
log "host A holds the LUN with key $key_a"

# The region: blocks 0..15 of 64 KiB. Writer lines: "start I MS", then
# "ok I MS" or "fail I MS".
nblk=16
(
	i=0
	while [ ! -e /scratch/stop ]; do
		head -c 65536 /dev/urandom >/scratch/a-blk
		echo "start $i $(now_ms)" >>/scratch/wlog
		if dd if=/scratch/a-blk of=/dev/nbd0 bs=65536 seek=$((i % nblk)) count=1 \
			oflag=direct 2>/scratch/a-dd.err; then
			echo "ok $i $(now_ms)" >>/scratch/wlog
		else
			echo "fail $i $(now_ms) $(head -1 /scratch/a-dd.err)" >>/scratch/wlog
			sleep 0.05
		fi
		i=$((i + 1))
	done
) &
W_PID=$!
wait_for 30 sh -c "[ \$(grep -c '^ok' /scratch/wlog 2>/dev/null || echo 0) -ge 10 ]" ||
	fail "A's writer did not write 10 blocks within 30 s: $(tail -3 /scratch/wlog)"
grep -q '^fail' /scratch/wlog && fail "A's write failed before B came: $(grep -m1 '^fail' /scratch/wlog)"
log "host A writes: $(grep -c '^ok' /scratch/wlog) blocks so far"

# LIO lets only the nexus that holds the reservation write (tests/uml/
# README.md): A learns it from its first write on the other path, which it
# then sends once more through the holder's. Let that happen before B
# comes, so that what follows B is only B's doing.
quirk='RESERVATION CONFLICT for a registered path of ours'
if wait_for 30 grep -q "$quirk" "$UML_OUT/a.log"; then
	log "host A writes through its holder's path only (LIO)"
else
	log "host A writes through both paths"
fi

# ---- host B preempts ------------------------------------------------------------
t_b=$(now_ms)
daemon b /dev/nbd1 --preempt
B_PID=$DPID
t_bready=$(now_ms)
log "host B: attach --preempt served /dev/nbd1 after $((t_bready - t_b)) ms"
wait_for 10 sh -c "grep -q 'LUN reserved' '$UML_OUT/b.log'" || fail "B's log does not say B reserved the LUN"
grep -i -e preempt -e reserv "$UML_OUT/b.log" | sed 's/^/    B: /'
grep -q "preempted the reservation of key $key_a .*with PREEMPT AND ABORT" "$UML_OUT/b.log" ||
	fail "B's log does not say it preempted $key_a with PREEMPT AND ABORT"
grep -q "refuses PREEMPT AND ABORT" "$UML_OUT/b.log" &&
	fail "LIO refused PREEMPT AND ABORT: B fell back to PREEMPT"
key_b=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$UML_OUT/b.log" | tail -1)

# A's writes fail from now on.
wait_for 20 sh -c "grep -q '^fail' /scratch/wlog" ||
	fail "no write of A failed within 20 s of B's preempt: $(tail -3 /scratch/wlog)"
t_fail=$(grep -m1 '^fail' /scratch/wlog | cut -d' ' -f3)
log "A's first failed write at +$((t_fail - t_b)) ms after B started: $(grep -m1 '^fail' /scratch/wlog | cut -d' ' -f4-)"
grep -m1 '^fail' /scratch/wlog | grep -q 'Input/output error' ||
	fail "A's write did not fail with EIO: $(grep -m1 '^fail' /scratch/wlog)"
wait_for 10 sh -c "grep -q 'LUN taken by another host' '$UML_OUT/a.log'" ||
	fail "A's log does not say the LUN was taken"
grep -i -e 'taken' -e conflict -e '-> FAILED' "$UML_OUT/a.log" | sed 's/^/    A: /'

# ---- B writes the region while A keeps trying -------------------------------------
head -c $((nblk * 65536)) /dev/urandom >/scratch/b-region
dd if=/scratch/b-region of=/dev/nbd1 bs=65536 count=$nblk oflag=direct 2>/scratch/b-dd.err ||
	fail "B's write of the region failed: $(tail -1 /scratch/b-dd.err)"
t_bw=$(now_ms)
while [ $(($(now_ms) - t_bw)) -lt 3000 ]; do sleep 0.2; done
touch /scratch/stop
wait $W_PID
W_PID=''
ISCSI_NBD_RUNDIR=$run_a "$ISN_BIN" status >/scratch/a-status 2>&1
sed 's/^/    A status: /' /scratch/a-status
grep -q 'LUN TAKEN' /scratch/a-status || fail "A's status does not say LUN TAKEN"
grep -q "$key_b" /scratch/a-status || fail "A's status does not name B's key $key_b"
[ "$(grep -c ': ACTIVE' /scratch/a-status)" = 2 ] ||
	fail "a path of A left ACTIVE: a RESERVATION CONFLICT was taken for a path failure"
grep -q -- '-> FAILED' "$UML_OUT/a.log" && fail "A failed a path: $(grep -m1 -- '-> FAILED' "$UML_OUT/a.log")"
n_eio=$(grep -c 'WRITE offset .* failed: Input/output error' "$UML_OUT/a.log")
log "A's daemon failed $n_eio writes with EIO"
kill_wait $A_PID 10
A_PID=''

# Writes of A that started after B was serving and yet completed.
late=$(awk -v t="$t_bready" '$1 == "start" && $3 > t { s[$2] = 1 } $1 == "ok" && s[$2] { print }' /scratch/wlog)
[ -z "$late" ] || fail "writes of A completed after B took the LUN: $late"
n_ok=$(grep -c '^ok' /scratch/wlog)
n_fail=$(grep -c '^fail' /scratch/wlog)
log "A's writer: $n_ok writes done (all before B took over), $n_fail failed"

echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/nbd1 bs=65536 count=$nblk iflag=direct 2>/dev/null | cmp -s - /scratch/b-region ||
	fail "the region read through B differs from B's pattern: a write of A landed"
dd if="$LIO_BACKING" bs=65536 count=$nblk 2>/dev/null | cmp -s - /scratch/b-region ||
	fail "LIO's backing file differs from B's pattern in the region: a write of A landed"
ISCSI_NBD_RUNDIR=$run_b "$ISN_BIN" detach /dev/nbd1 || fail "B: detach /dev/nbd1"
wait_for 15 sh -c "! kill -0 $B_PID" || fail "B did not exit after detach"
wait $B_PID
rc=$?
B_PID=''
[ $rc = 0 ] || fail "B exited $rc after detach"
log "preempt of a writing host: A's first failed write +$((t_fail - t_b)) ms after B started, $n_fail of A's writes failed, none landed after B's"
exit 0
