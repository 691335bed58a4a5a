#!/bin/sh
# The multipath test bed of functions.sh (two_networks): a target namespace
# and an initiator namespace joined by two veth "cables". tgtd listens on
# one address per network; our initiator logs in and reads over each
# network, discovery on each returns that network's portal, and the data
# is the same LUN (same identity, same bytes). Pulling cable 1 makes
# network 1 fail fast with a connection failure (exit 2) while network 2
# keeps working; plugging it back restores network 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn tur read inquiry discover

two_networks
tgtd_start "$tgt_ns" "$net1_tgt:3260" "$net2_tgt:3260"
iqn=iqn.2026-11.org.iscsi-nbd.test:2net
shm_file disk 4
tgt_simple "$tgt_ns" "$iqn" "$disk"

for p in "$net1_tgt" "$net2_tgt"; do
	expect_rc 0 isn "$ini_ns" discover "$p"
	expect_stdout "^  portal: $p:3260,1$"
	expect_rc 0 isn "$ini_ns" inquiry -t "$iqn" -P "$p" -l 1
	sed -n 's/^identity: //p' "$isn_tmp/stdout" >"$isn_tmp/ident-$p"
	[ -s "$isn_tmp/ident-$p" ] || fail "no identity over $p"
	expect_rc 0 isn "$ini_ns" read -t "$iqn" -P "$p" -l 1 --offset 0 --length 4M \
		--output "$isn_tmp/read-$p"
	cmp "$disk" "$isn_tmp/read-$p" || fail "data over $p differs from the backing file"
done
cmp "$isn_tmp/ident-$net1_tgt" "$isn_tmp/ident-$net2_tgt" ||
	fail "the two networks reach different identities"

# Pull cable 1 (the initiator's end): network 1 fails at once, 2 still works.
ip -n "$ini_ns" link set "$net1_ini_dev" down || fail "link down"
start=$(date +%s)
expect_rc 2 isn "$ini_ns" tur -t "$iqn" -P "$net1_tgt" -l 1 --timeout 10
[ $(($(date +%s) - start)) -lt 8 ] || fail "a pulled cable took the whole timeout"
expect_rc 0 isn "$ini_ns" tur -t "$iqn" -P "$net2_tgt" -l 1
ip -n "$ini_ns" link set "$net1_ini_dev" up || fail "link up"
i=0
until ip -n "$ini_ns" link show dev "$net1_ini_dev" | grep -q "state UP"; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "cable 1 does not come back"
	sleep 0.1
done
expect_rc 0 isn "$ini_ns" tur -t "$iqn" -P "$net1_tgt" -l 1
exit 0
