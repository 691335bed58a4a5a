#!/bin/sh
# SendTargets discovery: tgtd listening on two portals (127.0.0.1 and
# 127.0.0.2) with two targets; discover on either portal lists both
# targets with the TargetAddress tgtd gives. tgtd (usr/iscsi/target.c,
# target_list_build) answers with the one address the discovery
# connection came in on, so each portal must report itself: asking
# 127.0.0.2 and printing 127.0.0.1 would be our bug. Both portals together
# are what a multipath setup discovers. A portal with nothing listening is
# a connection failure (exit 2).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn discover

netns_new ns
ip -n "$ns" addr add 127.0.0.2/8 dev lo || fail "second loopback address"
tgtd_start "$ns" 127.0.0.1:3260 127.0.0.2:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:disc
shm_file disk 1 zero
tgt_simple "$ns" "$iqn-a" "$disk"
tgt_target_new "$ns" 2 "$iqn-b"
tgt_lun_new "$ns" 2 1 "$disk"
tgt_bind_all "$ns" 2

for p in 127.0.0.1 127.0.0.2:3260; do
	host=${p%:*}
	expect_rc 0 isn "$ns" discover "$p"
	expect_stdout "^target: $iqn-a$"
	expect_stdout "^target: $iqn-b$"
	[ "$(grep -c '^target: ' "$isn_tmp/stdout")" = 2 ] ||
		fail "expected 2 targets: $(cat "$isn_tmp/stdout")"
	# The portals of target a: the lines after its name, up to target b.
	sed -n "/^target: $iqn-a\$/,/^target: $iqn-b\$/p" "$isn_tmp/stdout" >"$isn_tmp/a"
	grep -q "^  portal: $host:3260,1$" "$isn_tmp/a" ||
		fail "portal $host:3260,1 missing for target a: $(cat "$isn_tmp/stdout")"
	grep "^  portal: " "$isn_tmp/a" | grep -v -q "$host:3260" &&
		fail "a portal we did not ask: $(cat "$isn_tmp/stdout")"
	cat "$isn_tmp/stdout" >>"$isn_tmp/all"
done
# Together: both portals of target a, as a multipath setup would collect them.
grep -q "^  portal: 127.0.0.1:3260,1$" "$isn_tmp/all" || fail "portal 1 never reported"
grep -q "^  portal: 127.0.0.2:3260,1$" "$isn_tmp/all" || fail "portal 2 never reported"

expect_rc 2 isn "$ns" discover 127.0.0.1:3261
expect_stderr "127.0.0.1:3261"
exit 0
