#!/bin/sh
# Login without authentication and the informational commands against
# tgtd, over IPv4 and IPv6 and every portal spelling (IPv4, [IPv6],
# [IPv6]:PORT, bare IPv6, a host name): tur, inquiry (vendor, identity, serial, provisioning), readcap
# (size, block sizes, LBPME), luns (LUN 0 controller, 1 and 3 disks), a
# LUN other than 0 (LUN 3) addressed correctly (its own size), and a LUN
# that does not exist giving a SCSI error (exit 5).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn tur inquiry readcap luns

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260 '[::1]:3260'
iqn=iqn.2026-11.org.iscsi-nbd.test:login
shm_file disk1 8
shm_file disk3 4 zero
tgt_target_new "$ns" 1 "$iqn"
tgt_lun_new "$ns" 1 1 "$disk1"
tgt_lun_new "$ns" 1 3 "$disk3" thin
tgt_bind_all "$ns" 1
P="-t $iqn -P 127.0.0.1"

expect_rc 0 isn "$ns" tur $P -l 1
expect_stdout "^ready$"

for p in '[::1]' '[::1]:3260' ::1 localhost 127.0.0.1:3260; do
	expect_rc 0 isn "$ns" tur -t "$iqn" -P "$p" -l 1
	expect_stdout "^ready$"
done
expect_rc 0 isn "$ns" discover '[::1]'
expect_stdout "^  portal: \[::1\]:3260,1$"

expect_rc 0 isn "$ns" inquiry $P -l 1
expect_stdout "^vendor: IET$"
expect_stdout "^device type: 0x00 "
expect_stdout "^identity: (naa|eui|t10)\."
expect_stdout "^serial: ."
ident1=$(sed -n 's/^identity: //p' "$isn_tmp/stdout")

expect_rc 0 isn "$ns" readcap $P -l 1
expect_stdout "^size: $((8 << 20)) bytes$"
expect_stdout "^block size: 512$"
expect_stdout "^physical block size: 4096$"
expect_stdout "^lbpme: 0$"

# LUN 3: really LUN 3 (4 MiB, thin, another identity), not LUN 0 or 1.
expect_rc 0 isn "$ns" readcap $P -l 3
expect_stdout "^size: $((4 << 20)) bytes$"
expect_stdout "^lbpme: 1$"
expect_stdout "^lbprz: 1$"
expect_rc 0 isn "$ns" inquiry $P -l 3
expect_stdout "^provisioning: thin lbpu=1"
expect_stdout "^max unmap: (unlimited|[0-9]+ blocks)$"
ident3=$(sed -n 's/^identity: //p' "$isn_tmp/stdout")
[ "$ident1" != "$ident3" ] || fail "LUN 1 and LUN 3 report the same identity $ident1"

expect_rc 0 isn "$ns" luns $P
expect_stdout "^0$"
expect_stdout "^1$"
expect_stdout "^3$"
[ "$(wc -l <"$isn_tmp/stdout")" = 3 ] || fail "expected 3 LUNs: $(cat "$isn_tmp/stdout")"

# A LUN the target does not have: the login works, the command fails.
expect_rc 5 isn "$ns" readcap $P -l 7
expect_stderr "LUN 7"
exit 0
