#!/bin/sh
# The ghost write (DESIGN.md, "Path semantics"; device.h): a write that
# was on the wire on a path when that path went silent must not land at
# the target after a newer write to the same blocks that went through
# another path.
#
# Two paths, failover policy (path0 carries the I/O). Everything the
# initiator sends on network 1 is held in a queue (tbf at 8 bit/s), not
# dropped, with the carrier up. nbdsh writes an old pattern to a block
# range: the command goes out on path0 and sits in that queue. path0 goes
# silent, is failed by the NOP check, the write is re-issued on path1 and
# completes once the daemon considers the old session fenced. Then a new
# pattern is written to the same range (through path1). The held queue is
# released: the stale old copy reaches the target on the old session's TCP
# connection, which the target never saw die. The range in tgtd's backing
# file must hold the new pattern. Two rounds:
#  1. The network stays held until the old write (C at 2 MiB) has
#     completed, by whatever fence the daemon used (by time: Time2Wait +
#     Time2Retain, 22 s with tgtd; or a reinstatement login with path0's
#     ISID through path1's portal), and the new one (D) is done; only then
#     is it released. Must hold D. With only the fence by time (the path
#     layer before commit 47c5c8d) the stale C landed every time: tgtd
#     never notices the silent connection.
#  2. The network comes back after 6 s, before any fence by time; path0's
#     next login (same ISID) or a fence through path1 reinstates its
#     session. A then B at 1 MiB: must hold B, and the log must show a
#     fence by reinstatement login.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 2
mp_target 16
# The whole of each old write goes out with its command (immediate + unsolicited data),
# so that the held stale copy is complete and can land by itself.
tgt_param "$tgt_ns" 1 InitialR2T No
tgt_param "$tgt_ns" 1 ImmediateData Yes
tgt_param "$tgt_ns" 1 FirstBurstLength 262144
tgt_param "$tgt_ns" 1 MaxRecvDataSegmentLength 262144
mp_serve --policy failover --no-path-retry 60 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 || fail "path0 not active at start"
mp_wait_state 1 STANDBY 10 || fail "path1 not standby at start: $(mp_path_field 1 state)"

# 8 KiB: one PDU that fits in TCP's initial congestion window, so all of
# it is on the wire (in the held queue) without any ACK from the target.
# A connection whose SYN had to be retransmitted (path0's re-login after
# round 1 may start while network 1 is still held) starts with a window
# of one segment, and NOPs alone never grow it: so before each round the
# client writes 512 KiB elsewhere through path0 to open the window.
LEN=8192
cat >"$isn_tmp/ghost.py" <<'PYEOF'
import sys, time, nbd
uri, ln, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
h = nbd.NBD()
h.connect_uri(uri)
h.pread(4096, 0)
open(flag, "w").write("connected\n")
for r, off, old, new in ((1, 2 << 20, b"C", b"D"), (2, 1 << 20, b"A", b"B")):
    while open(flag).read() != "warm%d\n" % r:
        time.sleep(0.05)
    for i in range(8):
        h.pwrite(b"w" * 65536, (8 << 20) + i * 65536)
    open(flag, "w").write("warmed%d\n" % r)
    while open(flag).read() != "held%d\n" % r:
        time.sleep(0.05)
    t0 = time.time()
    c = h.aio_pwrite(old * ln, off)
    while not h.aio_command_completed(c):
        h.poll(1)
        if time.time() - t0 > 60:
            sys.exit("round %d: old write not complete after 60 s" % r)
    print("round %d: old write (%s) completed after %.1f s" % (r, old.decode(), time.time() - t0),
          flush=True)
    h.pwrite(new * ln, off)
    assert h.pread(ln, off) == new * ln, "reading back through the daemon does not give the new data"
    print("round %d: new write (%s) completed" % (r, new.decode()), flush=True)
    open(flag, "w").write("done%d\n" % r)
h.shutdown()
PYEOF
flag=$isn_tmp/flag
: >"$flag"
timeout 120 "$mp_py" "$isn_tmp/ghost.py" "$mp_uri" "$LEN" "$flag" >"$isn_tmp/ghost.out" 2>&1 &
gpid=$!
cleanup_add kill_quiet "$gpid"
# wait_flag WORD SECONDS
wait_flag() {
	i=0
	until [ "$(cat "$flag")" = "$1" ]; do
		kill -0 "$gpid" 2>/dev/null || fail "nbd client died: $(cat "$isn_tmp/ghost.out")"
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || fail "nbd client: no '$1' after $2 s: $(cat "$isn_tmp/ghost.out")"
		sleep 0.1
	done
}
# hold ROUND: warm path0's TCP window up, hold network 1, then let the
# client send its old write.
hold() {
	echo "warm$1" >"$flag"
	wait_flag "warmed$1" 30
	mp_hold 1
	# The token bucket starts full: spend it, so that nothing of the write passes.
	ip netns exec "$ini_ns" ping -c 1 -s 1400 -W 1 "$mp_tgt_1" >/dev/null 2>&1
	echo "held$1" >"$flag"
}
# release: let what network 1 holds go to the target; report how much.
release() {
	held=$(tc -n "$ini_ns" -s qdisc show dev "$mp_ini_dev_1" | sed -n 's/.*backlog \([0-9]*\)b.*/\1/p')
	info "releasing network 1 (${held:-0} bytes queued)"
	[ "${held:-0}" -ge "$LEN" ] || fail "only ${held:-0} bytes held on network 1: the old write was not in flight there"
	mp_release 1
}
# landed: whatever network 1 held has reached the target and been read
# there: the queue is empty (or gone) and no TCP socket of tgtd's has
# unread bytes. Only then can a check say a stale write did not land.
landed() {
	_b=$(tc -n "$ini_ns" -s qdisc show dev "$mp_ini_dev_1" | sed -n 's/.*backlog \([0-9]*\)b.*/\1/p' | head -n 1)
	[ "${_b:-0}" = 0 ] || return 1
	ip netns exec "$tgt_ns" ss -tnH '( sport = :3260 )' | awk '$2 != 0 { busy = 1 } END { exit busy }'
}
# check OFFSET CHAR: the backing file holds LEN bytes of CHAR at OFFSET.
check() {
	extract "$mp_disk" "$1" "$LEN" "$isn_tmp/x"
	head -c "$LEN" /dev/zero | tr '\0' "$2" >"$isn_tmp/want"
	cmp -s "$isn_tmp/x" "$isn_tmp/want" && return 0
	od -A d -c "$isn_tmp/x" | head -n 3 >&2
	return 1
}
wait_flag connected 20

# Round 1: network 1 stays held until C's re-issue has completed and D
# has been written; only then does the stale C reach the target, on a
# connection tgtd never saw die.
hold 1
info "round 1: network 1 held, C sent on path0"
wait_flag done1 60
cat "$isn_tmp/ghost.out" >&2
release
wait_for 20 landed
mp_cable_clear 1
mp_paths_text >&2
grep -E "path0: ACTIVE -> (FAILED|FENCED)|old session fenced|path0: .*(FENCED|CONNECTING)" "$mp_log" >&2
grep -E -q "path0: ACTIVE -> (FAILED|FENCED): no traffic" "$mp_log" ||
	fail "path0 was not failed by the silence check: scenario not produced"
# path0 logged in again: tgtd has dealt with its old session by now.
mp_wait_state 0 ACTIVE 30 || fail "path0 not active again: $(mp_path_field 0 state)"
ghost=
check $((2 << 20)) D || ghost=1

# Round 2: network 1 comes back after 6 s (< Time2Wait + Time2Retain);
# A's re-issue completes only once path0's old session is reinstated
# (through path1's portal, or by path0's own next login after the
# release), then B is written.
hold 2
info "round 2: network 1 held, A sent on path0"
# The outage length is the scenario (shorter than any fence by time).
sleep 6
release
wait_flag done2 60
wait_for 20 landed
mp_cable_clear 1
mp_wait_state 0 ACTIVE 30 || fail "path0 not active after round 2: $(mp_path_field 0 state)"
cat "$isn_tmp/ghost.out" >&2
check $((1 << 20)) B || fail "GHOST WRITE (round 2): X1 does not hold B"
[ "$(grep -c "path0: old session fenced (reinstatement login)" "$mp_log")" -ge 1 ] ||
	fail "round 2: the fence was not released by path0's reinstatement login"
info "round 2: X1 holds B"

[ -z "$ghost" ] || fail "GHOST WRITE (round 1): the stale C landed over D"
info "round 1: X2 holds D"
exit 0
