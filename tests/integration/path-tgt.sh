#!/bin/sh
# The path layer over the real session engine against tgtd: one path, then
# two paths (round-robin) to two portals of one target, each time writing,
# reading back, flushing, zeroing and discarding through struct bdev
# (tests/component/path_tgt.c does the I/O and the comparisons).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_netns
prog=${top_builddir:-.}/tests/component/path_tgt
requires_built "$prog"
ISN_TEST_TIMEOUT=120

netns_new ns
ip -n "$ns" addr add 127.0.0.2/8 dev lo 2>/dev/null || true
tgtd_start "$ns" 127.0.0.1:3260 127.0.0.2:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:path
shm_file disk 64 zero
tgt_target_new "$ns" 1 "$iqn"
tgt_lun_new "$ns" 1 1 "$disk"
tgt_bind_all "$ns" 1

expect_rc 0 t_run "$ns" "$prog" "$iqn" 1 127.0.0.1:3260
expect_rc 0 t_run "$ns" "$prog" "$iqn" 1 127.0.0.1:3260 127.0.0.2:3260
info "ok"
