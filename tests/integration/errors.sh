#!/bin/sh
# Failures a user meets first, each with its documented exit code and a
# message naming the cause: a portal where nothing listens (connection
# refused, exit 2), a network with no route (exit 2, quickly), a target
# name the portal does not have (exit 3), an initiator the target does not
# accept (exit 3).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn tur

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:errors
shm_file disk 1 zero
tgt_simple "$ns" "$iqn" "$disk"
tgt_target_new "$ns" 2 "$iqn-acl"
tgt_lun_new "$ns" 2 1 "$disk"
tgtadm_ns "$ns" --op bind --mode target --tid 2 --initiator-name iqn.2026-11.test:only-me ||
	fail "ACL"

expect_rc 0 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1

# Nothing listens on 3261: refused.
expect_rc 2 isn "$ns" tur -t "$iqn" -P 127.0.0.1:3261 -l 1
expect_stderr "127.0.0.1:3261"
expect_stderr "refused|connect"

# No route to 192.0.2.1 (TEST-NET-1) in this namespace: fails at once.
start=$(date +%s)
expect_rc 2 isn "$ns" tur -t "$iqn" -P 192.0.2.1 -l 1 --timeout 20
[ $(($(date +%s) - start)) -lt 10 ] || fail "an unreachable network took the whole timeout"

# Target name not on this portal.
expect_rc 3 isn "$ns" tur -t "$iqn-nosuch" -P 127.0.0.1 -l 1
expect_stderr "not found|target name"
expect_stderr "discover"

# Initiator not in the target's ACL.
expect_rc 3 isn "$ns" tur -t "$iqn-acl" -P 127.0.0.1 -l 1 \
	--initiator-name iqn.2026-11.test:someone-else
expect_rc 0 isn "$ns" tur -t "$iqn-acl" -P 127.0.0.1 -l 1 \
	--initiator-name iqn.2026-11.test:only-me
exit 0
