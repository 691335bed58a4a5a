#!/bin/sh
# A SendTargets answer written by a hostile target (issue 9 part 5): a
# TargetAddress carrying a newline and a forged "target:" line, a
# TargetName with an ESC sequence and a CR, one with a UTF-8 byte, one
# that is no iSCSI name at all, a TargetAlias that would set the terminal
# title. `discover` must print only the well-formed targets and portals,
# never a raw control or non-ASCII byte on stdout or stderr, never a line
# the target forged; each refused name or address is named on stderr,
# escaped. The good entries around the bad ones still come out.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_netns
requires python3 ss
requires_isn discover

netns_new ns
# fake-discovery.py turns \xNN, \n and \r into those bytes.
cat >"$isn_tmp/answer" <<'TXT'
TargetName=iqn.2026-11.org.iscsi-nbd.test:alpha
TargetAddress=10.1.0.10:3260,1\ntarget: iqn.2026-11.org.evil:forged\n  portal: 6.6.6.6:3260,1
TargetAddress=10.2.0.10:3260,2
TargetName=iqn.2026-11.org.iscsi-nbd.test:esc\x1b[2J\x1b]0;pwned\x07\r
TargetAddress=10.9.9.9:3260,1
TargetName=iqn.2026-11.org.iscsi-nbd.test:caf\xc3\xa9
TargetAddress=10.9.9.8:3260,1
TargetName=not an iscsi name
TargetAddress=10.9.9.7:3260,1
TargetName=iqn.2026-11.org.iscsi-nbd.test:beta
TargetAlias=\x1b]0;owned\x07\xff
TargetAddress=10.1.0.11:3261,1
TargetAddress=10.1.0.12:3260,1\x1b[31m
TXT
cat >"$isn_tmp/want" <<'TXT'
target: iqn.2026-11.org.iscsi-nbd.test:alpha
  portal: 10.2.0.10:3260,2
target: iqn.2026-11.org.iscsi-nbd.test:beta
  portal: 10.1.0.11:3261,1
TXT

# No byte outside printable ASCII but the line feed.
no_raw_bytes() {
	if LC_ALL=C grep -n '[^ -~]' "$1" >/dev/null; then
		od -c "$1" >&2
		fail "$2 carries raw control or non-ASCII bytes"
	fi
}

port=3420
for split in 4096 13; do
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
	no_raw_bytes "$isn_tmp/stdout" stdout
	no_raw_bytes "$isn_tmp/stderr" stderr
	diff -u "$isn_tmp/want" "$isn_tmp/stdout" >&2 ||
		fail "hostile SendTargets answer in $split-byte PDUs printed wrong"
	! grep -q "evil\|6\.6\.6\.6\|10\.9\.9\." "$isn_tmp/stdout" ||
		fail "a forged or refused entry reached stdout"
	# Each refusal is named, with the offending text escaped.
	expect_stderr 'TargetAddress .*10\.1\.0\.10:3260,1\\x0atarget: iqn'
	expect_stderr 'TargetName .*test:esc\\x1b\[2J\\x1b\]0;pwned\\x07\\x0d'
	expect_stderr 'TargetName .*test:caf\\xc3\\xa9'
	expect_stderr "TargetName 'not an iscsi name'"
	expect_stderr 'TargetAddress .*10\.1\.0\.12:3260,1\\x1b\[31m'
	wait "$fpid" || fail "the fake target saw something unexpected: $(cat "$isn_tmp/fake.err")"
done
exit 0
