#!/bin/sh
# Take-over from a dead host cannot be overwritten by that host's late
# write (issue 10), against tgtd. Host A serves over two networks, path0
# active (failover). Network 1 holds what A sends (mp_hold: the ghost-write
# technique of mp-ghost-write.sh), A's NBD client writes OLD to a block
# (one PDU: immediate data, so the whole write sits in the held queue),
# and A is killed with SIGKILL. Host B takes the LUN with --preempt over
# network 2, writes NEW to that block and reads it back. Then network 1
# lets A's stale write through: it reaches tgtd (A's session there ends
# behind it) on a nexus whose registration B removed, so tgtd answers
# RESERVATION CONFLICT and the block still holds NEW. (tgtd has no
# PREEMPT AND ABORT: B falls back to PREEMPT, which suffices for a write
# that reaches the target after the preemption; one already queued inside
# the target would need the abort.) Finally A restarted is refused (11).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 2
mp_target 16
tgt_param "$tgt_ns" 1 InitialR2T No
tgt_param "$tgt_ns" 1 ImmediateData Yes
tgt_param "$tgt_ns" 1 FirstBurstLength 262144
tgt_param "$tgt_ns" 1 MaxRecvDataSegmentLength 262144

name_a=iqn.2026-12.org.iscsi-nbd.test:host-a
name_b=iqn.2026-12.org.iscsi-nbd.test:host-b
# Long timeouts: A must not notice the held network and re-send the write
# on network 2 before it is killed.
mp_serve --initiator-name "$name_a" --policy failover --nop-interval 30000 \
	--nop-timeout 60000 --cmd-timeout 60000
mp_wait_state 0 ACTIVE 10 || fail "A: path0 not active"
key_a=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$mp_log" | head -1)
[ -n "$key_a" ] || fail "A's log does not say the LUN is reserved"

OFF=$((1 << 20))
LEN=8192
flag=$isn_tmp/flag
: >"$flag"
cat >"$isn_tmp/old.py" <<'PYEOF'
import sys, time, nbd
uri, off, ln, flag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
h = nbd.NBD()
h.connect_uri(uri)
# Open path0's TCP window with writes elsewhere, then wait for the hold.
for i in range(8):
    h.pwrite(b"w" * 65536, (8 << 20) + i * 65536)
open(flag, "w").write("warm\n")
while open(flag).read() != "held\n":
    time.sleep(0.05)
c = h.aio_pwrite(b"O" * ln, off)
h.poll(0)
open(flag, "w").write("sent\n")
time.sleep(600)
PYEOF
timeout 120 "$mp_py" "$isn_tmp/old.py" "$mp_uri" "$OFF" "$LEN" "$flag" >"$isn_tmp/old.out" 2>&1 &
opid=$!
cleanup_add kill_quiet -9 "$opid"
wait_for 30 grep -q warm "$flag"
mp_hold 1
echo held >"$flag"
wait_for 10 grep -q sent "$flag"
sleep 1
[ "$(mp_path_field 0 in_flight)" -ge 1 ] || fail "A's write is not outstanding on path0"
info "A's write of OLD is held on network 1; killing A"
kill -9 "$mp_pid"
wait "$mp_pid" 2>/dev/null
mp_pid=
kill -9 "$opid" 2>/dev/null

# B takes over through network 2 only.
b_run=$isn_tmp/run-b
mkdir -p "$b_run"
b_sock=$isn_tmp/b.sock
b_log=$isn_tmp/serve-b.log
_isn_logs="$_isn_logs $b_log"
t0=$(date +%s%N)
ISCSI_NBD_RUNDIR=$b_run ip netns exec "$ini_ns" "$isn_bin" -v serve -f -t "$mp_iqn" -l 1 \
	--name b --initiator-name "$name_b" -P "$mp_tgt_2@$mp_ini_dev_2" --socket "$b_sock" \
	--preempt >"$b_log" 2>&1 &
b_pid=$!
cleanup_add kill_quiet -9 "$b_pid"
poll_until 20 test -S "$b_sock" || fail "B --preempt does not serve: $(tail -20 "$b_log")"
info "B serves $((($(date +%s%N) - t0) / 1000000)) ms after it started: $(grep -c -i preempt "$b_log") preemption log lines"
grep -q "preempted the reservation of key $key_a" "$b_log" || fail "B did not log the preemption of $key_a"
b_uri="nbd+unix:///?socket=$b_sock"
mp_nbdsh -u "$b_uri" -c "
h.pwrite(b'N' * $LEN, $OFF)
assert h.pread($LEN, $OFF) == b'N' * $LEN
" || fail "B cannot write NEW"

# A's stale write goes through now; A's session at tgtd ends behind it.
nexus_a() { tgtadm_ns "$tgt_ns" --op show --mode target | grep -c "Initiator: $name_a"; }
no_nexus_a() { [ "$(nexus_a)" = 0 ]; }
info "A's sessions at tgtd before the release: $(nexus_a)"
mp_release 1
wait_for 60 no_nexus_a
sleep 1
mp_nbdsh -u "$b_uri" -c "
d = h.pread($LEN, $OFF)
assert d == b'N' * $LEN, 'the block holds %r: A\'s late write landed after B took over' % d[:8]
" || fail "A's late write overwrote B's data"
info "A's late write did not land: the block still holds NEW"

# A restarted: refused, naming B's key.
expect_rc 11 isn "$ini_ns" serve -f -t "$mp_iqn" -l 1 --name a2 --initiator-name "$name_a" \
	-P "$mp_tgt_2@$mp_ini_dev_2" --socket "$isn_tmp/a2.sock"
expect_stderr "reserved by another host"
exit 0
