#!/bin/sh
# Exclusive access at run time (issue 10), against tgtd, host A serving
# over two paths:
# - a daemon killed with SIGKILL and started again keeps the LUN (the
#   reservation stays at the target meanwhile, nobody else can take it);
# - a path that logs in again registers its new nexus before it carries a
#   write: tgtd ties a registration to one session (usr/spc.c
#   lookup_registration_by_nexus), so without that every write on the
#   re-logged path gets RESERVATION CONFLICT; 64 round-robin writes after
#   a cable pull and re-plug all succeed;
# - another host C (`iscsi-nbd pr preempt` with its own initiator name)
#   takes the LUN: A's next write fails with EIO, the log and `status`
#   say the LUN was taken and by which key, the paths stay ACTIVE (a
#   RESERVATION CONFLICT is no path failure, nothing is retried on the
#   other path), reads go on, and later writes fail at once without being
#   sent (the paths' I/O counters do not move).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
requires_isn pr
mp_networks 2
mp_target 16

name_a=iqn.2026-12.org.iscsi-nbd.test:host-a
name_c=iqn.2026-12.org.iscsi-nbd.test:host-c
mp_serve --initiator-name "$name_a" --nop-interval 300 --nop-timeout 1500 --io-timeout 20
mp_wait_state 0 ACTIVE 10 || fail "path0 not active"
mp_wait_state 1 ACTIVE 10 || fail "path1 not active"
key_a=$(sed -n 's/.*LUN reserved (.*key \(0x[0-9a-f]*\)).*/\1/p' "$mp_log" | head -1)
[ -n "$key_a" ] || fail "A's log does not say the LUN is reserved"
host_a=${key_a%??}

# 0. A daemon restart keeps the LUN: A killed and started again (same
#    initiator name) is not refused, and the reservation never left A.
kill -9 "$mp_pid"
wait "$mp_pid" 2>/dev/null
mp_pid=
isn "$ini_ns" pr reservation -t "$mp_iqn" -l 1 -P "$mp_tgt_1" --initiator-name "$name_c" |
	grep -q "reserved by key $host_a" || fail "A's reservation did not outlive A"
: >"$mp_log"
mp_serve --initiator-name "$name_a" --nop-interval 300 --nop-timeout 1500 --io-timeout 20
mp_wait_state 0 ACTIVE 10 || fail "restarted A: path0 not active"
mp_wait_state 1 ACTIVE 10 || fail "restarted A: path1 not active"
log_has "$mp_log" "LUN reserved" || fail "restarted A does not hold the LUN: $(tail "$mp_log")"
info "A restarted after SIGKILL holds the LUN again"

# 1. Path 1 logs in again, then carries writes.
mp_cable_down 2
mp_wait_state 1 FAILED 10 || fail "path1 did not fail on cable pull"
mp_cable_up 2
mp_wait_state 1 ACTIVE 30 || fail "path1 did not come back: $(mp_path_field 1 reason)"
ios1=$(mp_path_field 1 ios)
mp_nbdsh -u "$mp_uri" -c '
for i in range(64):
    h.pwrite(bytes([65 + i % 26]) * 65536, i * 65536)
' || fail "writes after path1's re-login failed: $(grep -i -E "conflict|taken" "$mp_log")"
ios1b=$(mp_path_field 1 ios)
info "path1 re-logged in and carried $((ios1b - ios1)) commands"
[ $((ios1b - ios1)) -ge 16 ] || fail "path1 carried only $((ios1b - ios1)) of the 64 writes"
log_has "$mp_log" "LUN taken" && fail "a re-login made A think the LUN was taken"

# 2. Host C preempts both of A's keys.
pr_c() {
	isn "$ini_ns" pr "$@" -t "$mp_iqn" -l 1 -P "$mp_tgt_1" --initiator-name "$name_c" \
		>"$isn_tmp/pr.out" 2>"$isn_tmp/pr.err" || fail "pr $*: $(cat "$isn_tmp/pr.err")"
	cat "$isn_tmp/pr.out" >&2
}
# tgtd has no PREEMPT AND ABORT (usr/spc.c): PREEMPT.
pr_c preempt --no-abort --victim "${host_a}00"
pr_c preempt --no-abort --victim "${host_a}01"
key_c=$(sed -n 's/.* with key \(0x[0-9a-f]*\)$/\1/p' "$isn_tmp/pr.out")
pr_c reservation
grep -q "$key_c" "$isn_tmp/pr.out" || fail "C does not hold the reservation"
f0=$(($(mp_path_field 0 failures) + $(mp_path_field 1 failures)))

cat >"$isn_tmp/taken.py" <<'PYEOF'
import sys, time, nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
t0 = time.time()
try:
    h.pwrite(b"Z" * 4096, 0)
    sys.exit("A's write succeeded after C took the LUN")
except nbd.Error as e:
    print("A's write failed after %.3f s: %s" % (time.time() - t0, e), flush=True)
    assert e.errno == "EIO", e
assert h.pread(65536, 0) == b"A" * 65536, "A cannot read after the LUN was taken"
print("A's read still works", flush=True)
PYEOF
timeout 60 "$mp_py" "$isn_tmp/taken.py" "$mp_uri" || fail "A after C took the LUN"
wait_for 10 log_has "$mp_log" "LUN taken by another host: reservation key $key_c"
mp_status_json >"$isn_tmp/st.json" || fail "status"
python3 - "$isn_tmp/st.json" "$key_c" <<'EOF' || fail "status does not say the LUN was taken: $(cat "$isn_tmp/st.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["reservation"]
print("status reservation:", r, [p["state"] for p in d["paths"]], file=sys.stderr)
assert r["state"] == "taken" and r["key"] == sys.argv[2], r
assert all(p["state"] in ("ACTIVE", "active") for p in d["paths"]), d["paths"]
EOF
f1=$(($(mp_path_field 0 failures) + $(mp_path_field 1 failures)))
[ "$f1" = "$f0" ] || fail "the RESERVATION CONFLICT failed a path ($f0 -> $f1 failures)"
isn "$ini_ns" status mp | grep "reservation" >&2

# Later writes fail at once and are not sent.
ios0=$(($(mp_path_field 0 ios) + $(mp_path_field 1 ios)))
mp_nbdsh -u "$mp_uri" -c '
try:
    h.pwrite(b"Y" * 4096, 8192)
    raise SystemExit("a later write succeeded")
except nbd.Error as e:
    assert e.errno == "EIO", e
' || fail "a later write did not fail with EIO"
ios1=$(($(mp_path_field 0 ios) + $(mp_path_field 1 ios)))
[ "$ios1" = "$ios0" ] || fail "a write was sent after the LUN was taken ($ios0 -> $ios1 ios)"
pr_c clear
exit 0
