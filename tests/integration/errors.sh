#!/bin/sh
# Failures a user meets first, each with its documented exit code and a
# message naming the cause: a portal where nothing listens (connection
# refused, exit 2), a network with no route (exit 2, quickly), a target
# name the portal does not have (exit 3), an initiator the target does not
# accept (exit 3), and a target that dies in the middle of a transfer
# (connection lost: exit 2, promptly, no hang).
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

# The target dies between two READ commands of one transfer: the read
# (1 MiB commands, into a FIFO nobody drains yet) is stuck after its first
# command; tgtd is killed; once drained, the next command finds the
# connection gone.
mkfifo "$isn_tmp/fifo"
isn "$ns" read -t "$iqn" -P 127.0.0.1 -l 1 --offset 0 --length 1M --io-size 256K \
	--output "$isn_tmp/fifo" 2>"$isn_tmp/dead.err" &
rpid=$!
cleanup_add kill_quiet "$rpid"
exec 3<>"$isn_tmp/fifo"
i=0
until tgtadm_ns "$ns" --op show --mode target | grep -q "I_T nexus: "; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the read never logged in"
	sleep 0.1
done
tgtd_stop "$ns"
start=$(date +%s)
timeout 30 cat <&3 >/dev/null &
cpid=$!
rc=0
wait "$rpid" || rc=$?
exec 3>&-
kill_quiet "$cpid"
cat "$isn_tmp/dead.err" >&2
[ $rc = 2 ] || fail "read from a dead target: exit $rc, want 2"
grep -E -q -i "lost|closed|reset|connection" "$isn_tmp/dead.err" ||
	fail "no word about the lost connection: $(cat "$isn_tmp/dead.err")"
[ $(($(date +%s) - start)) -lt 15 ] || fail "a dead target took $(($(date +%s) - start)) s to notice"
exit 0
