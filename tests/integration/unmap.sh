#!/bin/sh
# UNMAP and SYNCHRONIZE CACHE against a thin-provisioned tgtd LUN (tgtd
# punches holes in the backing file). The LUN reports LBPRZ, so unmapped
# blocks must read back as zeroes through our initiator; the backing file
# must be zero there and really deallocated, and the blocks around the
# range keep their data. A LUN without thin provisioning refuses UNMAP
# with a SCSI error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn unmap sync read readcap

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:unmap
shm_file disk 16
tgt_simple "$ns" "$iqn" "$disk" thin
shm_file full 1
tgt_lun_new "$ns" 1 2 "$full"
P="-t $iqn -P 127.0.0.1 -l 1"

expect_rc 0 isn "$ns" readcap $P
expect_stdout "^lbprz: 1$"
expect_rc 0 isn "$ns" sync $P

cp "$disk" "$isn_tmp/before"
blocks_before=$(stat -c %b "$disk")
off=$((1024 * 1024 + 4096)) len=$((4 * 1024 * 1024))
expect_rc 0 isn "$ns" unmap $P --offset "$off" --length "$len"
expect_rc 0 isn "$ns" sync $P

head -c "$len" /dev/zero >"$isn_tmp/zero"
expect_rc 0 isn "$ns" read $P --offset "$off" --length "$len" --output "$isn_tmp/r"
cmp "$isn_tmp/zero" "$isn_tmp/r" || fail "unmapped range does not read back as zeroes"
extract "$disk" "$off" "$len" "$isn_tmp/b"
cmp "$isn_tmp/zero" "$isn_tmp/b" || fail "backing file not zero in the unmapped range"
blocks_after=$(stat -c %b "$disk")
[ "$blocks_after" -lt "$blocks_before" ] ||
	fail "backing file still allocates $blocks_after blocks (was $blocks_before)"
# The rest is untouched.
dd if="$isn_tmp/zero" of="$isn_tmp/before" bs=512 seek=$((off / 512)) conv=notrunc status=none
cmp "$isn_tmp/before" "$disk" || fail "UNMAP changed blocks outside its range"

# A fully provisioned LUN refuses UNMAP: a SCSI error (exit 5) naming the
# command and the sense, and no byte changes. Commands to a LUN that does
# not exist fail the same way.
cp "$full" "$isn_tmp/full-before"
expect_rc 5 isn "$ns" unmap -t "$iqn" -P 127.0.0.1 -l 2 --offset 0 --length 4096
expect_stderr "UNMAP failed on LUN 2: CHECK CONDITION, ILLEGAL REQUEST"
cmp "$full" "$isn_tmp/full-before" || fail "a refused UNMAP changed data"
expect_rc 5 isn "$ns" sync -t "$iqn" -P 127.0.0.1 -l 7
expect_stderr "SYNCHRONIZE CACHE failed on LUN 7"

expect_rc 1 isn "$ns" unmap $P --offset 0
expect_stderr "--length"
expect_rc 1 isn "$ns" unmap $P --offset 512 --length 100
expect_stderr "multiples"
exit 0
