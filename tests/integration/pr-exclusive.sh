#!/bin/sh
# Exclusive access with SCSI-3 persistent reservations (issue 10), against
# tgtd. Two hosts are simulated by two initiator names (--initiator-name),
# each daemon with its own run directory (the per-host LUN lock would
# refuse the second one otherwise):
# - host A serves the LUN over two paths: each path's nexus is registered
#   with its own key (A's host key, path number in the low byte) and the
#   LUN is reserved Write Exclusive - Registrants Only;
# - host B's serve is refused with exit 11 in under 2 s, naming A's key,
#   and B registered nothing (`pr keys` shows only A's two keys);
# - B --read-only serves beside A: B reads what A wrote, a write from B's
#   NBD client fails with EPERM and never reaches the target;
# - A is killed (SIGKILL, its registrations stay at the target); B
#   --preempt takes the LUN (tgtd refuses PREEMPT AND ABORT: PREEMPT, and
#   the log says so), writes, and reads its data back; A's keys are gone;
# - A restarted is refused with exit 11 naming B's key; B's data is intact.
# Prints the refusal times.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
requires_isn pr
mp_networks 2
mp_target 16

name_a=iqn.2026-12.org.iscsi-nbd.test:host-a
name_b=iqn.2026-12.org.iscsi-nbd.test:host-b
mp_serve --initiator-name "$name_a"
mp_wait_state 0 ACTIVE 10 || fail "A: path0 not active"
mp_wait_state 1 ACTIVE 10 || fail "A: path1 not active"
key_a=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$mp_log" | head -1)
[ -n "$key_a" ] || fail "A's log does not say the LUN is reserved: $(tail -20 "$mp_log")"
info "A holds the LUN with key $key_a"
host_a=${key_a%??}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# pr_show WHAT: `iscsi-nbd pr WHAT` as host B would run it, in $isn_tmp/pr.out
pr_show() {
	isn "$ini_ns" pr "$@" -t "$mp_iqn" -l 1 -P "$mp_tgt_1" --initiator-name "$name_b" \
		>"$isn_tmp/pr.out" 2>"$isn_tmp/pr.err" || fail "pr $*: $(cat "$isn_tmp/pr.err")"
	cat "$isn_tmp/pr.out" >&2
}
pr_show keys
[ "$(grep -c "^0x$(echo "$host_a" | cut -c3-)" "$isn_tmp/pr.out")" = 2 ] ||
	fail "A's two paths are not both registered: $(cat "$isn_tmp/pr.out")"
pr_show reservation
grep -q "$key_a" "$isn_tmp/pr.out" || fail "READ RESERVATION does not show A's key"
grep -q "Write Exclusive - Registrants Only" "$isn_tmp/pr.out" || fail "not type 5"

# Host B: its own run directory, initiator name, socket.
b_run=$isn_tmp/run-b
mkdir -p "$b_run"
b_sock=$isn_tmp/b.sock
b_serve() {
	ISCSI_NBD_RUNDIR=$b_run isn "$ini_ns" serve -f -t "$mp_iqn" -l 1 --name b \
		--initiator-name "$name_b" -P "$mp_tgt_1@$mp_ini_dev_1" \
		-P "$mp_tgt_2@$mp_ini_dev_2" --socket "$b_sock" "$@"
}

# 1. B is refused: exit 11, A's key, under 2 s, nothing registered.
t0=$(now_ms)
expect_rc 11 b_serve
ms=$(($(now_ms) - t0))
expect_stderr "reserved by another host"
expect_stderr "$key_a"
expect_stderr "--preempt"
info "B refused with exit 11 in $ms ms"
[ "$ms" -lt 2000 ] || fail "B's refusal took $ms ms"
pr_show keys
grep -q "^0x" "$isn_tmp/pr.out" || fail "no keys"
if grep "^0x" "$isn_tmp/pr.out" | grep -v -q "^$host_a"; then
	fail "B registered a key although it was refused"
fi

# 2. B read-only beside A: reads A's data, its writes fail with EPERM.
mp_nbdsh -u "$mp_uri" -c 'h.pwrite(b"A" * 65536, 1 << 20)' || fail "A cannot write"
b_log=$isn_tmp/serve-b.log
_isn_logs="$_isn_logs $b_log"
ISCSI_NBD_RUNDIR=$b_run ip netns exec "$ini_ns" "$isn_bin" -v serve -f -t "$mp_iqn" -l 1 \
	--name b --initiator-name "$name_b" -P "$mp_tgt_1@$mp_ini_dev_1" \
	--socket "$b_sock" --read-only >"$b_log" 2>&1 &
b_pid=$!
cleanup_add kill_quiet -9 "$b_pid"
wait_for 20 test -S "$b_sock"
b_uri="nbd+unix:///?socket=$b_sock"
cat >"$isn_tmp/ro.py" <<'PYEOF'
import sys, nbd
h = nbd.NBD()
# No client-side refusal: the write must reach our server and be refused there.
h.set_strict_mode(0)
h.connect_uri(sys.argv[1])
assert h.is_read_only(), "B's export is not read-only"
assert h.pread(65536, 1 << 20) == b"A" * 65536, "B does not read what A wrote"
try:
    h.pwrite(b"B" * 4096, 2 << 20)
    sys.exit("B's write succeeded")
except nbd.Error as e:
    print("B write refused:", e.errno, e, flush=True)
    assert e.errno in ("EPERM", "EROFS"), e
h.shutdown()
PYEOF
timeout 30 "$mp_py" "$isn_tmp/ro.py" "$b_uri" || fail "B read-only"
# A keeps writing while B reads; B's refused write did not land.
mp_nbdsh -u "$mp_uri" -c '
h.pwrite(b"a" * 65536, 3 << 20)
assert h.pread(4096, 2 << 20) != b"B" * 4096, "B wrote through a read-only export"
' || fail "A cannot write beside B, or B's write landed"
kill -TERM "$b_pid"
wait "$b_pid" 2>/dev/null
rm -f "$b_sock"
grep -q "reservation" "$b_log" && grep -i -q "reserved" "$b_log" &&
	fail "B read-only touched the reservation: $(grep -i reserv "$b_log")"

# 3. A dies; B takes over with --preempt.
kill -9 "$mp_pid"
wait "$mp_pid" 2>/dev/null
mp_pid=
ISCSI_NBD_RUNDIR=$b_run ip netns exec "$ini_ns" "$isn_bin" -v serve -f -t "$mp_iqn" -l 1 \
	--name b --initiator-name "$name_b" -P "$mp_tgt_1@$mp_ini_dev_1" \
	-P "$mp_tgt_2@$mp_ini_dev_2" --socket "$b_sock" --preempt >"$b_log" 2>&1 &
b_pid=$!
cleanup_add kill_quiet -9 "$b_pid"
poll_until 20 test -S "$b_sock" || fail "B --preempt does not serve: $(tail -30 "$b_log")"
wait_for 10 log_has "$b_log" "preempted the reservation of key $key_a"
key_b=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$b_log" | head -1)
[ -n "$key_b" ] || fail "B's log does not say the LUN is reserved"
info "B took the LUN with key $key_b: $(grep -c -i "preempt" "$b_log") preemption log lines"
grep -q "refuses PREEMPT AND ABORT" "$b_log" || fail "B's log does not say tgtd refused PREEMPT AND ABORT"
if grep -q "preempted key .*(PREEMPT AND ABORT)" "$b_log"; then
	fail "B's log claims PREEMPT AND ABORT, which tgtd refused: $(grep "preempted key" "$b_log")"
fi
mp_nbdsh -u "$b_uri" -c '
h.pwrite(b"B" * 65536, 1 << 20)
assert h.pread(65536, 1 << 20) == b"B" * 65536
' || fail "B cannot write after taking over"
pr_show keys
if grep "^0x" "$isn_tmp/pr.out" | grep -q "^$host_a"; then
	fail "A's keys are still registered after the preemption"
fi

# 4. A restarted is refused, naming B's key; B's data is intact.
t0=$(now_ms)
expect_rc 11 isn "$ini_ns" serve -f -t "$mp_iqn" -l 1 --name mp --initiator-name "$name_a" \
	-P "$mp_tgt_1@$mp_ini_dev_1" -P "$mp_tgt_2@$mp_ini_dev_2" --socket "$isn_tmp/a2.sock"
ms=$(($(now_ms) - t0))
expect_stderr "$key_b"
info "A restarted: refused with exit 11 in $ms ms"
mp_nbdsh -u "$b_uri" -c 'assert h.pread(65536, 1 << 20) == b"B" * 65536' ||
	fail "B's data changed"

# 5. Detach releases: B stops; the reservation and B's keys are gone.
kill -TERM "$b_pid"
wait "$b_pid" 2>/dev/null
pr_show reservation
grep -q -i "no reservation" "$isn_tmp/pr.out" || fail "B's detach left the reservation"
pr_show keys
grep -q "^0x" "$isn_tmp/pr.out" && fail "B's detach left registrations"
exit 0
