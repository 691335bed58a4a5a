#!/bin/sh
# Answers that lie about their length (issue 9 parts 1 and 6), from a
# scripted target (fake-scsi.py), through the one-shot commands:
#   - a READ answered with half its Data-In and GOOD without a residual, or
#     with all of it and an underflow residual that says otherwise: exit 6,
#     a message naming the ITT and the byte counts, and not one byte written
#     to the output (no stale buffer bytes);
#   - a 20-byte INQUIRY with GOOD: exit 6, nothing printed as vendor;
#   - READ CAPACITY(16) of 2^64 bytes: exit 8, no size printed;
#   - (16) refused and (10) saying 0xffffffff: exit 8, no size printed;
#   - the same target answering honestly: exit 0 and the right bytes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_netns
requires python3 ss cmp
requires_isn read readcap inquiry

netns_new ns
iqn=iqn.2026-11.org.iscsi-nbd.test:short
port=3500

# fake SCENARIO: a fake-scsi.py for SCENARIO on a fresh port ($port).
fake() {
	port=$((port + 1))
	run_in "$ns" python3 "$top_srcdir/tests/integration/fake-scsi.py" "$port" "$1" \
		2>"$isn_tmp/fake-$1.err" &
	fpid=$!
	cleanup_add kill_quiet "$fpid"
	_i=0
	until run_in "$ns" ss -ltn | grep -q ":$port "; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "fake-scsi.py does not listen"
		sleep 0.1
	done
}

# The LUN's content: byte o is o % 251.
python3 -c '
import sys
sys.stdout.buffer.write(bytes(o % 251 for o in range(8192)))' >"$isn_tmp/want"

fake good
expect_rc 0 isn "$ns" read -t "$iqn" -P "127.0.0.1:$port" -l 0 --offset 0 --length 8192 \
	--output "$isn_tmp/good"
cmp "$isn_tmp/good" "$isn_tmp/want" || fail "honest target: wrong bytes"
expect_rc 0 isn "$ns" readcap -t "$iqn" -P "127.0.0.1:$port" -l 0
expect_stdout "^size: 1048576 bytes"

for sc in short-read lying-resid; do
	fake "$sc"
	expect_rc 6 isn "$ns" read -t "$iqn" -P "127.0.0.1:$port" -l 0 --offset 0 --length 8192 \
		--output "$isn_tmp/$sc"
	expect_stderr "malformed"
	expect_stderr "ITT 0x[0-9a-f]{8}"
	[ ! -s "$isn_tmp/$sc" ] || fail "$sc: $(stat -c %s "$isn_tmp/$sc") bytes written"
	# To stdout too: nothing.
	expect_rc 6 isn "$ns" read -t "$iqn" -P "127.0.0.1:$port" -l 0 --offset 0 --length 8192
	[ ! -s "$isn_tmp/stdout" ] || fail "$sc: bytes written to stdout"
done
expect_rc 6 isn "$ns" read -t "$iqn" -P "127.0.0.1:$port" -l 0 --offset 0 --length 4096
expect_stderr "4096 bytes of Data-In received, beyond EDTL 4096 - residual 512"

fake short-read
expect_rc 6 isn "$ns" read -t "$iqn" -P "127.0.0.1:$port" -l 0 --offset 0 --length 4096
expect_stderr "2048 of 4096 bytes"

fake short-inquiry
expect_rc 6 isn "$ns" inquiry -t "$iqn" -P "127.0.0.1:$port" -l 0
if grep -q "^vendor" "$isn_tmp/stdout"; then fail "a 20-byte INQUIRY was printed"; fi

fake rc16-wrap
expect_rc 8 isn "$ns" readcap -t "$iqn" -P "127.0.0.1:$port" -l 0
expect_stderr "2\\^64"
if grep -q "^size" "$isn_tmp/stdout"; then fail "a wrapped size was printed"; fi

fake rc10-only-big
expect_rc 8 isn "$ns" readcap -t "$iqn" -P "127.0.0.1:$port" -l 0
expect_stderr "too large for READ CAPACITY\\(10\\)"
if grep -q "^size" "$isn_tmp/stdout"; then fail "a size was printed"; fi
exit 0
