#!/bin/sh
# Failover under load against tgtd over two veth "networks": 8 write /
# read-back loops run over two paths (round-robin, NOP 300 ms / 1000 ms)
# while network 1's cable is pulled (carrier loss: the link monitor fails
# the path at once) and plugged back, then network 2 goes silent (the
# target's address vanishes: no carrier change, no RST; the busy-path
# silence check fails it) and comes back. Each event waits for the
# previous one's effect in the path layer's log (path up, path failed,
# path back), not for a fixed time, and the loops stop when the last path
# is back. The caller must see no error and no mismatch; both paths must
# have failed and come back, and writes held for a fence must have been
# released by the reinstatement.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_netns
prog=${top_builddir:-.}/tests/component/path_tgt
requires_built "$prog"
ISN_TEST_TIMEOUT=120

two_networks
tgtd_start "$tgt_ns"
iqn=iqn.2026-11.org.iscsi-nbd.test:failover
shm_file disk 16 zero
tgt_target_new "$tgt_ns" 1 "$iqn"
tgt_lun_new "$tgt_ns" 1 1 "$disk"
tgt_bind_all "$tgt_ns" 1

log=$isn_tmp/failover.log
stop=$isn_tmp/soak.stop
_isn_logs="$_isn_logs $log"
# SOAK is the bound (the program's own timer is 60 s more, t_run's 120 s);
# the stop file ends the loops as soon as the events are through.
PATH_TGT_SOAK=45 PATH_TGT_SOAK_STOP=$stop PATH_TGT_NOP=300,1000 \
	t_run "$ini_ns" "$prog" "$iqn" 1 \
	"$net1_tgt@$net1_ini_dev" "$net2_tgt@$net2_ini_dev" 2>"$log" &
pid=$!
# Both paths carry the loops' I/O before anything happens.
wait_for 30 log_has "$log" "^ready:"
wait_for 30 log_has "$log" "path0: [A-Z]+ -> ACTIVE"
wait_for 30 log_has "$log" "path1: [A-Z]+ -> ACTIVE"
info "pull cable 1 (carrier loss)"
ip -n "$ini_ns" link set "$net1_ini_dev" down
wait_for 10 log_has "$log" "path0: ACTIVE -> FAILED"
info "plug cable 1"
ip -n "$ini_ns" link set "$net1_ini_dev" up
wait_for 30 log_count_ge "$log" 2 "path0: [A-Z]+ -> ACTIVE"
info "network 2 goes silent"
ip -n "$tgt_ns" addr del "$net2_tgt/24" dev "$net2_tgt_dev"
wait_for 15 log_has "$log" "path1: ACTIVE -> FAILED"
ip -n "$tgt_ns" addr add "$net2_tgt/24" dev "$net2_tgt_dev"
wait_for 30 log_count_ge "$log" 2 "path1: [A-Z]+ -> ACTIVE"
: >"$stop"
wait $pid
rc=$?
grep -E "FAILED|FENCED|fenced|failures|slot" "$log" >&2
[ $rc = 0 ] || { cat "$log" >&2; fail "I/O failed or mismatched during failover (rc $rc)"; }
grep -q "path0: ACTIVE -> FAILED: link down" "$log" || fail "cable pull not seen by the link monitor"
grep -q "path1: ACTIVE -> FAILED: no traffic" "$log" || fail "silent path not caught"
for p in path0 path1; do
	n=$(grep -c "$p: CONNECTING -> PROBING" "$log")
	[ "$n" -ge 2 ] || fail "$p never logged in again"
	# Writes in flight at the failure (timing decides whether there were
	# any) must be released by the reinstatement login, not by time.
	if grep -q "$p: .* -> FENCED" "$log"; then
		grep -q "$p: old session fenced (reinstatement login)" "$log" ||
			fail "$p: held writes not released by reinstatement"
	fi
done
info ok
