#!/bin/sh
# A target without persistent reservations (issue 10): fake-scsi.py
# refuses PERSISTENT RESERVE IN/OUT with ILLEGAL REQUEST.
#   - `serve --reservation required` is refused with exit 11, saying why,
#     in under 2 s;
#   - `serve` (exclusive, the default) serves, but warns that the LUN is
#     not protected and `status` says "unsupported": never a silent pass;
#   - `pr caps` fails with exit 5 and the sense;
#   - a target that claims reservations (REPORT CAPABILITIES, READ
#     RESERVATION answered) and then refuses REGISTER (fake-scsi.py
#     pr-liar): `--reservation required` exits 10 naming the refused
#     command, the default serves and says why it is not protected.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_netns
requires python3 ss
requires_isn serve status pr

netns_new ns
iqn=iqn.2026-11.org.iscsi-nbd.test:nopr
port=3601
run_in "$ns" python3 "$top_srcdir/tests/integration/fake-scsi.py" "$port" no-pr \
	2>"$isn_tmp/fake.err" &
fpid=$!
cleanup_add kill_quiet "$fpid"
i=0
until run_in "$ns" ss -ltn | grep -q ":$port "; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "fake-scsi.py does not listen"
	sleep 0.1
done
export ISCSI_NBD_RUNDIR=$isn_tmp/run
mkdir -p "$ISCSI_NBD_RUNDIR"

t0=$(date +%s%N)
expect_rc 11 isn "$ns" serve -f -t "$iqn" -P "127.0.0.1:$port" -l 0 --name r \
	--socket "$isn_tmp/r.sock" --reservation required
ms=$((($(date +%s%N) - t0) / 1000000))
expect_stderr "does not support persistent reservations"
info "--reservation required refused in $ms ms"
[ "$ms" -lt 2000 ] || fail "the refusal took $ms ms"

log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -P "127.0.0.1:$port" -l 0 --name e \
	--socket "$isn_tmp/e.sock" >"$log" 2>&1 &
spid=$!
cleanup_add kill_quiet -9 "$spid"
poll_until 20 test -S "$isn_tmp/e.sock" || fail "serve does not start: $(tail -20 "$log")"
wait_for 10 log_has "$log" "does not support persistent reservations: this LUN is NOT protected"
isn "$ns" status --json e >"$isn_tmp/st.json" || fail "status"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["reservation"]
assert r["state"] == "unsupported", r' "$isn_tmp/st.json" ||
	fail "status does not say unsupported: $(cat "$isn_tmp/st.json")"
kill -TERM "$spid"
wait "$spid" 2>/dev/null # fake-scsi.py serves one connection at a time

expect_rc 5 isn "$ns" pr caps -t "$iqn" -P "127.0.0.1:$port" -l 0
expect_stderr "REPORT CAPABILITIES of LUN 0 failed: CHECK CONDITION: ILLEGAL REQUEST"

# The liar: the preflight's PR IN passes, the daemon's REGISTER is refused.
port=3602
run_in "$ns" python3 "$top_srcdir/tests/integration/fake-scsi.py" "$port" pr-liar \
	2>"$isn_tmp/fake2.err" &
fpid2=$!
cleanup_add kill_quiet "$fpid2"
i=0
until run_in "$ns" ss -ltn | grep -q ":$port "; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "fake-scsi.py does not listen"
	sleep 0.1
done
t0=$(date +%s%N)
expect_rc 11 isn "$ns" serve -f -t "$iqn" -P "127.0.0.1:$port" -l 0 --name l \
	--socket "$isn_tmp/l.sock" --reservation required
ms=$((($(date +%s%N) - t0) / 1000000))
expect_stderr "claims persistent reservations but REGISTER AND IGNORE EXISTING KEY: CHECK CONDITION"
info "a lying target refused with --reservation required in $ms ms"
[ "$ms" -lt 5000 ] || fail "the refusal took $ms ms"
log2=$isn_tmp/serve2.log
_isn_logs="$_isn_logs $log2"
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -P "127.0.0.1:$port" -l 0 --name l \
	--socket "$isn_tmp/l.sock" >"$log2" 2>&1 &
spid=$!
cleanup_add kill_quiet -9 "$spid"
poll_until 20 test -S "$isn_tmp/l.sock" || fail "serve does not start: $(tail -20 "$log2")"
wait_for 10 log_has "$log2" "this LUN is NOT protected"
log_has "$log2" "claims persistent reservations but REGISTER" || fail "no reason logged"
kill -TERM "$spid"
wait "$spid" 2>/dev/null
exit 0
