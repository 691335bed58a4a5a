#!/bin/sh
# Reads and writes through our initiator, checked byte for byte against
# tgtd's backing file: sizes from 512 B to 16 MiB, at aligned offsets
# (multiples of the size) and unaligned ones (multiples of 512 only), in
# single commands (--io-size 16M) and split ones. The target's burst
# parameters are small so that every transfer takes many Data-In PDUs and
# every write many R2T sequences; target 1 allows unsolicited data
# (ImmediateData=Yes, InitialR2T=No), target 2 solicits everything
# (InitialR2T=Yes, ImmediateData=No). Also: FUA writes, reading into stdout
# and writing from stdin, and that the bytes around a write are untouched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn read write
requires python3 ss
ISN_TEST_TIMEOUT=120

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:rw
shm_file disk1 48
shm_file disk2 48
tgt_target_new "$ns" 1 "$iqn"
tgt_lun_new "$ns" 1 1 "$disk1"
tgt_bind_all "$ns" 1
tgt_small_bursts "$ns" 1
tgt_target_new "$ns" 2 "$iqn-r2t"
tgt_lun_new "$ns" 2 1 "$disk2"
tgt_bind_all "$ns" 2
tgt_small_bursts "$ns" 2
tgt_param "$ns" 2 InitialR2T Yes
tgt_param "$ns" 2 ImmediateData No

MiB=1048576
# check TARGET DISK OFFSET LENGTH [EXTRA...]
check() {
	t=$1 d=$2 off=$3 len=$4
	shift 4
	random_file "$isn_tmp/w" "$len"
	cp "$d" "$isn_tmp/before"
	expect_rc 0 isn "$ns" write -t "$t" -P 127.0.0.1 -l 1 --offset "$off" \
		--input "$isn_tmp/w" "$@"
	extract "$d" "$off" "$len" "$isn_tmp/b"
	cmp "$isn_tmp/w" "$isn_tmp/b" || fail "write $len@$off to $t: backing file differs"
	# Nothing outside the range changed.
	dd if="$isn_tmp/w" of="$isn_tmp/before" bs=512 seek=$((off / 512)) conv=notrunc \
		status=none
	cmp "$isn_tmp/before" "$d" || fail "write $len@$off to $t touched other blocks"
	expect_rc 0 isn "$ns" read -t "$t" -P 127.0.0.1 -l 1 --offset "$off" \
		--length "$len" --output "$isn_tmp/r" --io-size 16M --max-recv-dsl 4096
	cmp "$isn_tmp/w" "$isn_tmp/r" || fail "read $len@$off from $t differs"
}

for t in "$iqn" "$iqn-r2t"; do
	if [ "$t" = "$iqn" ]; then d=$disk1; else d=$disk2; fi
	for len in 512 4096 65536 $((1 * MiB)) $((16 * MiB)); do
		# aligned: a multiple of the size; unaligned: one block past it
		check "$t" "$d" "$len" "$len" --io-size 16M
		check "$t" "$d" $((len + 512)) "$len" --io-size 16M
	done
	# Odd sizes, and a 5 MiB write split into 1 MiB + ... commands.
	check "$t" "$d" $((7 * 512)) $((3 * 512 + 65536))
	check "$t" "$d" $((MiB + 1536)) $((5 * MiB + 512)) --io-size 1M
	check "$t" "$d" 0 $((128 * 1024)) --fua
done

# The transfers really are split as the target asked. Through pdu-sniff.py
# (an independent relay that counts PDUs on the wire): a 1 MiB write takes
# at least 63 R2Ts (MaxBurstLength 16 KiB) and 255 Data-Out PDUs (the
# target's MaxRecvDataSegmentLength 4 KiB; one more 4 KiB may be immediate
# data); a 1 MiB read with our
# MaxRecvDataSegmentLength at 4 KiB arrives in at least 256 Data-In PDUs.
sniff_port=3300
for t in "$iqn" "$iqn-r2t"; do
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
	random_file "$isn_tmp/w" $MiB
	expect_rc 0 isn "$ns" write -t "$t" -P "127.0.0.1:$sniff_port" -l 1 --offset 512 \
		--input "$isn_tmp/w"
	expect_rc 0 isn "$ns" read -t "$t" -P "127.0.0.1:$sniff_port" -l 1 --offset 512 \
		--length $MiB --output "$isn_tmp/r" --max-recv-dsl 4096
	wait "$spid" || fail "pdu-sniff.py failed"
	cmp "$isn_tmp/w" "$isn_tmp/r" || fail "data differs through the relay"
	cat "$isn_tmp/sniff" >&2
	r2t=$(sed -n '1s/.* r2t=\([0-9]*\) .*/\1/p' "$isn_tmp/sniff")
	dout=$(sed -n '1s/.* dataout=\([0-9]*\) .*/\1/p' "$isn_tmp/sniff")
	din=$(sed -n '2s/.* datain=\([0-9]*\) .*/\1/p' "$isn_tmp/sniff")
	[ "${r2t:-0}" -ge 63 ] || fail "$t: 1 MiB write with only ${r2t:-0} R2Ts"
	[ "${dout:-0}" -ge 255 ] || fail "$t: 1 MiB write in only ${dout:-0} Data-Out PDUs"
	[ "${din:-0}" -ge 256 ] || fail "$t: 1 MiB read in only ${din:-0} Data-In PDUs"
done

# Whole-LUN read compared with the backing file.
expect_rc 0 isn "$ns" read -t "$iqn" -P 127.0.0.1 -l 1 --offset 0 --length 48M \
	--output "$isn_tmp/all"
cmp "$disk1" "$isn_tmp/all" || fail "whole-LUN read differs"

# stdin / stdout.
random_file "$isn_tmp/w" 8192
t_run "$ns" "$isn_bin" write -t "$iqn" -P 127.0.0.1 -l 1 --offset 1024 <"$isn_tmp/w" ||
	fail "write from stdin"
t_run "$ns" "$isn_bin" read -t "$iqn" -P 127.0.0.1 -l 1 --offset 1024 --length 8192 \
	>"$isn_tmp/r" || fail "read to stdout"
cmp "$isn_tmp/w" "$isn_tmp/r" || fail "stdin/stdout round trip differs"

# Ranges the LUN cannot take are refused before anything is sent.
expect_rc 1 isn "$ns" read -t "$iqn" -P 127.0.0.1 -l 1 --offset 100 --length 512
expect_stderr "multiples of the LUN's block size"
expect_rc 1 isn "$ns" read -t "$iqn" -P 127.0.0.1 -l 1 --offset 48M --length 512
expect_stderr "beyond the end"
head -c 1000 /dev/urandom >"$isn_tmp/odd"
expect_rc 1 isn "$ns" write -t "$iqn" -P 127.0.0.1 -l 1 --offset 0 --input "$isn_tmp/odd"
expect_stderr "not a multiple"
exit 0
