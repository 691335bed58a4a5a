#!/bin/sh
# CHAP paths after a target restart, with the initiator's challenge history
# (RFC 1994 2.3: a target challenge seen before is refused) in place: tgtd
# is SIGKILLed under a two-path `serve` using CHAP and started again with
# the same account. Both paths must come back by themselves within 120 s,
# logging in with CHAP again; a restarted target with a sound random
# generator must never be taken for a replay. Prints the time and how many
# logins were refused as repeats (0 with the tgt here, 1.0.85-1+deb12u1,
# whose challenges come from getrandom(2)).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status

netns_new ns
iqn=iqn.2026-11.org.iscsi-nbd.test:chap-restart
shm_file disk 16 zero
target_up() {
	tgtd_start "$ns" 127.0.0.1:3260
	tgt_target_new "$ns" 1 "$iqn"
	tgt_lun_new "$ns" 1 1 "$disk"
	tgt_bind_all "$ns" 1
	tgt_chap "$ns" 1 alice alicesecret12
}
target_up
secret_file alice alicesecret12

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
name=cr
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 -P 127.0.0.1 \
	--chap-user alice --chap-secret-file "$alice" \
	--socket "$isn_tmp/nbd.sock" --name "$name" >"$log" 2>&1 &
pid=$!
serve_kill() {
	[ -n "${pid:-}" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	_i=0
	while kill -0 "$pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 0
}
cleanup_add serve_kill
states() {
	timeout 10 "$isn_bin" status "$name" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(p["state"] for p in json.load(sys.stdin)["paths"]))' 2>/dev/null
}
wait_active() {
	_i=0
	until [ "$(states)" = "ACTIVE ACTIVE" ]; do
		kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died: $(tail -20 "$log")"
		_i=$((_i + 1))
		[ $_i -lt "$1" ] || return 1
		sleep 0.1
	done
}
wait_active 300 || fail "paths not active at start: $(states)"

eval "tpid=\$_isn_tgtpid_$ns"
kill -9 "$tpid" || fail "cannot kill tgtd"
wait "$tpid" 2>/dev/null
eval "_isn_tgtpid_$ns="
t0=$(date +%s%N)
target_up
wait_active 1200 || fail "paths not back 120 s after the tgtd restart: $(states); $(grep -c 'repeated a CHAP challenge' "$log") refused as repeats"
t1=$(date +%s%N)
rep=$(grep -c 'repeated a CHAP challenge' "$log")
info "both CHAP paths active $(((t1 - t0) / 1000000)) ms after tgtd came back; $rep logins refused as repeats"
[ "$rep" -eq 0 ] || fail "a restarted tgtd's fresh challenges were refused as repeats"
exit 0
