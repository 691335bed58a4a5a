#!/bin/sh
# Validates the test harness itself (tests/functions.sh) and the tgtd
# setups the other integration tests rely on, with an independent
# initiator: libiscsi's tools and QEMU's libiscsi block driver. If this
# test fails, the fault is in the harness or the machine, not in
# iscsi-nbd.
#
# Proves: tgtd starts in a private namespace and answers on two portals;
# LUNs other than 0 work; thin provisioning reports LBPME/LBPRZ; CHAP and
# mutual CHAP accounts are enforced (a wrong secret is refused); small
# burst parameters are accepted and data round-trips byte-exactly through
# them; cleanup leaves no namespace, backing file or tgtd behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires iscsi-ls iscsi-inq iscsi-readcapacity16

netns_new ns
ip -n "$ns" addr add 127.0.0.2/8 dev lo || fail "second loopback address"
tgtd_start "$ns" 127.0.0.1:3260 127.0.0.2:3260

iqn=iqn.2026-11.org.iscsi-nbd.test:harness
shm_file disk 8
shm_file disk3 4 zero
tgt_target_new "$ns" 1 "$iqn"
tgt_lun_new "$ns" 1 1 "$disk"
tgt_lun_new "$ns" 1 3 "$disk3" thin
tgt_bind_all "$ns" 1
tgt_small_bursts "$ns" 1

# Both portals answer discovery and list the target.
for p in 127.0.0.1 127.0.0.2; do
	expect_rc 0 t_run "$ns" iscsi-ls -s "iscsi://$p/"
	expect_stdout "Target:$iqn"
	expect_stdout "Lun:3 .*DIRECT_ACCESS"
done

# LUN 1 is a disk of the backing file's size; LUN 3 is thin with LBPRZ.
expect_rc 0 t_run "$ns" iscsi-readcapacity16 "iscsi://127.0.0.1/$iqn/1"
expect_stdout "Total size:$((8 << 20))"
expect_stdout "LBPME:0"
expect_rc 0 t_run "$ns" iscsi-readcapacity16 "iscsi://127.0.0.2/$iqn/3"
expect_stdout "Total size:$((4 << 20))"
expect_stdout "LBPME:1 LBPRZ:1"
expect_rc 0 t_run "$ns" iscsi-inq "iscsi://127.0.0.1/$iqn/1"
expect_stdout "IET"
# A LUN that does not exist is refused.
if t_run "$ns" iscsi-inq "iscsi://127.0.0.1/$iqn/7" >/dev/null 2>&1; then
	fail "LUN 7 should not exist"
fi

# Data through the small-burst target: read the whole LUN, compare; write a
# new image, compare the backing file (QEMU's libiscsi driver).
if command -v qemu-img >/dev/null 2>&1 &&
	qemu-img --help 2>/dev/null | grep -q iscsi; then
	expect_rc 0 t_run "$ns" qemu-img convert -f raw -O raw \
		"iscsi://127.0.0.1/$iqn/1" "$isn_tmp/read.img"
	cmp "$disk" "$isn_tmp/read.img" || fail "LUN 1 read differs from its backing file"
	random_file "$isn_tmp/new.img" $((8 << 20))
	expect_rc 0 t_run "$ns" qemu-img convert -n -f raw -O raw \
		"$isn_tmp/new.img" "iscsi://127.0.0.1/$iqn/1"
	cmp "$disk" "$isn_tmp/new.img" || fail "LUN 1 backing file differs from what was written"
else
	info "qemu-img without the iscsi driver: data round trip not checked"
fi

# CHAP: target 2 demands user/secret; mutual CHAP on target 3.
shm_file disk2 1 zero
tgt_target_new "$ns" 2 "$iqn-chap"
tgt_lun_new "$ns" 2 1 "$disk2"
tgt_bind_all "$ns" 2
tgt_chap "$ns" 2 alice alicesecret12
expect_rc 0 t_run "$ns" iscsi-inq "iscsi://alice%alicesecret12@127.0.0.1/$iqn-chap/1"
if t_run "$ns" iscsi-inq "iscsi://alice%wrongsecret12@127.0.0.1/$iqn-chap/1" >/dev/null 2>&1; then
	fail "tgtd accepted a wrong CHAP secret"
fi
if t_run "$ns" iscsi-inq "iscsi://127.0.0.1/$iqn-chap/1" >/dev/null 2>&1; then
	fail "tgtd accepted a login without CHAP"
fi

tgt_target_new "$ns" 3 "$iqn-mutual"
tgt_lun_new "$ns" 3 1 "$disk2"
tgt_bind_all "$ns" 3
tgt_chap "$ns" 3 bob bobsecret1234
tgt_chap_mutual "$ns" 3 tgtuser tgtsecret1234
expect_rc 0 t_run "$ns" iscsi-inq \
	"iscsi://bob%bobsecret1234@127.0.0.1/$iqn-mutual/1?target_user=tgtuser&target_password=tgtsecret1234"
if t_run "$ns" iscsi-inq \
	"iscsi://bob%bobsecret1234@127.0.0.1/$iqn-mutual/1?target_user=tgtuser&target_password=notthesecret" \
	>/dev/null 2>&1; then
	fail "libiscsi accepted a target answering with the wrong mutual secret"
fi

# A portal nobody listens on is refused.
if t_run "$ns" iscsi-ls -s "iscsi://127.0.0.3/" >/dev/null 2>&1; then
	fail "discovery on a dead portal succeeded"
fi
exit 0
