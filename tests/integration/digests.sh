#!/bin/sh
# Header and data digests (CRC32C, RFC 7143 13.1) against tgtd, in all
# four combinations. For each: data written and read back through small
# PDUs is byte-exact (tgtd checks every digest we send, we check every one
# it sends), and an independent relay (pdu-sniff.py) recomputes every
# digest on the wire: the negotiated values are the ones we asked for, and
# every digest, in both directions, is right, byte order included. A
# target that offers only None refuses an initiator insisting on CRC32C
# (login failure, exit 3, naming the key).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn read write
requires python3 ss

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:digest
shm_file disk 4
tgt_simple "$ns" "$iqn" "$disk"
tgt_small_bursts "$ns" 1

# rw_check ARGS...: write 256 KiB + 512 at an odd block, read it back, compare.
n=0
rw_check() {
	n=$((n + 1))
	off=$((n * 300 * 1024 + 512))
	len=$((256 * 1024 + 512))
	random_file "$isn_tmp/w" "$len"
	expect_rc 0 isn "$ns" write -t "$iqn" -P 127.0.0.1 -l 1 --offset "$off" \
		--input "$isn_tmp/w" "$@"
	extract "$disk" "$off" "$len" "$isn_tmp/b"
	cmp "$isn_tmp/w" "$isn_tmp/b" || fail "backing file differs after write ($*)"
	expect_rc 0 isn "$ns" read -t "$iqn" -P 127.0.0.1 -l 1 --offset "$off" \
		--length "$len" --output "$isn_tmp/r" "$@"
	cmp "$isn_tmp/w" "$isn_tmp/r" || fail "read differs from what was written ($*)"
}

# sniffed HD DD: one write and one read of 64 KiB + 512 through
# pdu-sniff.py, an independent relay that recomputes every digest on the
# wire; it must see the digests we asked for, all of them correct.
sniff_port=3300
sniffed() {
	sniff_port=$((sniff_port + 1))
	rm -f "$isn_tmp/sniff"
	run_in "$ns" python3 "$top_srcdir/tests/integration/pdu-sniff.py" "$sniff_port" \
		127.0.0.1 3260 "$isn_tmp/sniff" 2 &
	spid=$!
	cleanup_add kill_quiet "$spid"
	i=0
	until run_in "$ns" ss -ltn | grep -q ":$sniff_port "; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "pdu-sniff.py does not listen"
		sleep 0.1
	done
	random_file "$isn_tmp/w" $((65536 + 512))
	expect_rc 0 isn "$ns" write -t "$iqn" -P "127.0.0.1:$sniff_port" -l 1 --offset 4096 \
		--input "$isn_tmp/w" --header-digest "$1" --data-digest "$2"
	expect_rc 0 isn "$ns" read -t "$iqn" -P "127.0.0.1:$sniff_port" -l 1 --offset 4096 \
		--length $((65536 + 512)) --output "$isn_tmp/r" --header-digest "$1" --data-digest "$2"
	cmp "$isn_tmp/w" "$isn_tmp/r" || fail "data differs through the relay"
	wait "$spid" || fail "pdu-sniff.py failed"
	cat "$isn_tmp/sniff" >&2
	want_h=None want_d=None
	[ "$1" = none ] || want_h=CRC32C
	[ "$2" = none ] || want_d=CRC32C
	[ "$(grep -c "^header=$want_h data=$want_d " "$isn_tmp/sniff")" = 2 ] ||
		fail "asked $1/$2, the wire says: $(cat "$isn_tmp/sniff")"
	grep -q "_bad=[1-9]" "$isn_tmp/sniff" && fail "bad digests on the wire"
	if [ "$want_h" = CRC32C ]; then
		grep -q "hd_ok=0 " "$isn_tmp/sniff" && fail "no header digest checked"
	fi
	if [ "$want_d" = CRC32C ]; then
		grep -q "dd_ok=0 " "$isn_tmp/sniff" && fail "no data digest checked"
	fi
	return 0
}

# Digests off: tgtd's default is None.
rw_check --header-digest none --data-digest none
# A target that offers only None refuses an initiator that insists on CRC32C.
expect_rc 3 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1 --header-digest crc32c
expect_stderr "HeaderDigest"
expect_rc 3 isn "$ns" tur -t "$iqn" -P 127.0.0.1 -l 1 --data-digest crc32c
expect_stderr "DataDigest"

# The target allows both; what we ask for is what the target sees.
tgt_param "$ns" 1 HeaderDigest CRC32C,None
tgt_param "$ns" 1 DataDigest CRC32C,None
for hd in none crc32c; do
	for dd in none crc32c; do
		rw_check --header-digest $hd --data-digest $dd
		sniffed $hd $dd
	done
done
rw_check --header-digest prefer-crc32c --data-digest prefer-crc32c
exit 0
