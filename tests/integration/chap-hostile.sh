#!/bin/sh
# CHAP challenges we refuse to answer (issue 9 part 7), end to end: a
# scripted target (fake-hostile-login.py) picks CHAP and then sends a
# 1-byte challenge, a 15-byte one, a 1025-byte one, and one whose CHAP_A
# value carries control bytes. Each login must fail with exit 4
# (authentication), a message saying what was wrong, no CHAP_R sent and no
# raw control byte on stderr; a 16-byte challenge is answered (the fake
# then closes the connection instead of judging our CHAP_R: exit 2).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_netns
requires python3 ss
requires_isn tur

netns_new ns
secret_file alice alicesecret12
iqn=iqn.2026-11.org.iscsi-nbd.test:chap-hostile

hex() { # hex BYTES: "0x" and BYTES bytes of a pattern
	python3 -c "import sys; n=int(sys.argv[1]); print('0x' + ''.join('%02x' % ((i * 7 + 3) & 255) for i in range(n)))" "$1"
}

port=3280
fake() { # fake TEXT...: a fresh fake target on the next port
	port=$((port + 1))
	run_in "$ns" python3 "$top_srcdir/tests/integration/fake-hostile-login.py" "$port" \
		"AuthMethod=CHAP|TargetPortalGroupTag=1" "$@" 2>"$isn_tmp/fake.err" &
	cleanup_add kill_quiet "$!"
	_i=0
	until run_in "$ns" ss -ltn | grep -q ":$port "; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "fake-hostile-login.py does not listen"
		sleep 0.1
	done
}
login() { # login WANT_RC: tur with CHAP against the current fake
	expect_rc "$1" isn "$ns" -d login tur -t "$iqn" -P "127.0.0.1:$port" --timeout 3 \
		--chap-user alice --chap-secret-file "$alice"
	if LC_ALL=C grep -n '[^ -~]' "$isn_tmp/stderr" >/dev/null; then
		fail "raw control or non-ASCII bytes on stderr"
	fi
	# A refused challenge is never answered (-d login shows the transition).
	[ "$1" = 2 ] || ! grep -q "CHAP_A -> CHAP_R" "$isn_tmp/stderr" ||
		fail "CHAP_R sent to a challenge that should have been refused"
}

fake "CHAP_A=5|CHAP_I=1|CHAP_C=0x01"
login 4
expect_stderr "challenge is 1 bytes; we answer only 16 to 1024"
expect_stderr "auth"

fake "CHAP_A=5|CHAP_I=1|CHAP_C=$(hex 15)"
login 4
expect_stderr "challenge is 15 bytes"

fake "CHAP_A=5|CHAP_I=1|CHAP_C=$(hex 1025)"
login 4
expect_stderr "challenge is longer than 1024 bytes"

fake 'CHAP_A=5\x1b[2J\r\nforged|CHAP_I=1|CHAP_C=0x01'
login 3
expect_stderr 'CHAP_A=5\\x1b\[2J\\x0d\\x0aforged'

# The lower bound itself is answered: the login gets as far as our CHAP_R.
fake "CHAP_A=5|CHAP_I=1|CHAP_C=$(hex 16)"
login 2
expect_stderr "CHAP with MD5, id 1, 16-byte challenge"
exit 0
