#!/bin/sh
# SendTargets answers tgtd never gives (tgtd lists one portal: the one the
# discovery connection came in on), from a scripted discovery target
# (fake-discovery.py): two targets, three portals for the first (IPv4 on
# two networks and IPv6, three portal groups), another port for the
# second; the answer in one Text Response, and cut into many chained with
# the C bit, also in the middle of a key or a value. Every target and
# portal must come out in order, and the session must log out properly
# (the fake exits 0 only after a Logout).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_netns
requires python3 ss
requires_isn discover

netns_new ns
cat >"$isn_tmp/answer" <<'TXT'
TargetName=iqn.2026-11.org.iscsi-nbd.test:alpha
TargetAddress=10.1.0.10:3260,1
TargetAddress=10.2.0.10:3260,2
TargetAddress=[2001:db8::10]:3260,3
TargetName=iqn.2026-11.org.iscsi-nbd.test:beta
TargetAddress=10.1.0.11:3261,1
TXT
cat >"$isn_tmp/want" <<'TXT'
target: iqn.2026-11.org.iscsi-nbd.test:alpha
  portal: 10.1.0.10:3260,1
  portal: 10.2.0.10:3260,2
  portal: [2001:db8::10]:3260,3
target: iqn.2026-11.org.iscsi-nbd.test:beta
  portal: 10.1.0.11:3261,1
TXT

port=3400
for split in 4096 40 7; do
	port=$((port + 1))
	run_in "$ns" timeout 60 python3 "$top_srcdir/tests/integration/fake-discovery.py" \
		"$port" "$isn_tmp/answer" "$split" 2>"$isn_tmp/fake.err" &
	fpid=$!
	cleanup_add kill_quiet "$fpid"
	i=0
	until run_in "$ns" ss -ltn | grep -q ":$port "; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "fake-discovery.py does not listen"
		sleep 0.1
	done
	expect_rc 0 isn "$ns" discover "127.0.0.1:$port"
	diff -u "$isn_tmp/want" "$isn_tmp/stdout" >&2 ||
		fail "SendTargets answer in $split-byte PDUs printed wrong"
	wait "$fpid" || fail "the fake target saw something unexpected: $(cat "$isn_tmp/fake.err")"
done
exit 0
