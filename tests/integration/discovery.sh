#!/bin/sh
# SendTargets discovery: tgtd listening on two portals (127.0.0.1 and
# 127.0.0.2) with two targets; discover on either portal lists both
# targets, each with both portals; a portal with nothing listening is a
# connection failure (exit 2).
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
	expect_rc 0 isn "$ns" discover "$p"
	expect_stdout "^target: $iqn-a$"
	expect_stdout "^target: $iqn-b$"
	# Portals of target a: the lines after its name, up to the next target.
	sed -n "/^target: $iqn-a\$/,/^target: $iqn-b\$/p" "$isn_tmp/stdout" >"$isn_tmp/a"
	grep -q "^  portal: 127.0.0.1:3260,1$" "$isn_tmp/a" || fail "portal 1 missing: $(cat "$isn_tmp/stdout")"
	grep -q "^  portal: 127.0.0.2:3260,1$" "$isn_tmp/a" || fail "portal 2 missing: $(cat "$isn_tmp/stdout")"
done

expect_rc 2 isn "$ns" discover 127.0.0.1:3261
expect_stderr "127.0.0.1:3261"
exit 0
