#!/bin/sh
# The session engine alone (no path layer, no CLI) against tgtd, through
# tests/component/tgt_smoke: SendTargets discovery; then a login, READ
# CAPACITY, writes of many sizes at many offsets each read back and
# compared, 64 writes then 64 reads in flight at once (the CmdSN window),
# a LUN RESET, a NOP ping and a logout that must end the session with
# reason "logged out". Twice: with tgtd's default parameters and no digests,
# then with CRC32C header and data digests and tgtd's small bursts (4 KiB
# PDUs, 8 KiB unsolicited first burst, 16 KiB R2T bursts), so immediate
# data, unsolicited Data-Out and R2T sequences all run. tgt_smoke exits
# non-zero on any mismatch, failed command or unexpected session end.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_netns
prog=${top_builddir:-.}/tests/component/tgt_smoke
requires_built "$prog"
ISN_TEST_TIMEOUT=120

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:session
shm_file disk 64 zero
tgt_simple "$ns" "$iqn" "$disk"

expect_rc 0 t_run "$ns" "$prog" 127.0.0.1 3260 -discover
expect_stdout "^1 targets, death: logged out"
expect_rc 0 t_run "$ns" "$prog" 127.0.0.1 3260 "$iqn" none
expect_stdout "^concurrent 64 writes \+ 64 reads done"
grep MISMATCH "$isn_tmp/stdout" && fail "data read back differs"
tgt_param "$ns" 1 HeaderDigest CRC32C
tgt_param "$ns" 1 DataDigest CRC32C
tgt_small_bursts "$ns" 1
expect_rc 0 t_run "$ns" "$prog" 127.0.0.1 3260 "$iqn" crc32c
expect_stdout "^lun reset response 0"
expect_stdout "^death: logged out"
info "ok"
