#!/bin/bash
# Two LUNs of one target attached side by side by two daemons (LUN 1 as
# /dev/nbd0, LUN 2 as /dev/nbd1, both over both networks) do not disturb
# each other. Each path's session has a stable ISID so that a restarted
# daemon reinstates its predecessor's session; two daemons that derive the
# same ISID for the same portal make the target reinstate (kill) each
# other's sessions on every login, an endless ping-pong the path layer
# hides but pays for (seen: 18 path failures each in a few seconds).
# Proves: interleaved O_DIRECT writes to both devices verify (each LUN's
# backing file holds what was written to its own device), and no path of
# either daemon ever failed (status: "failures 0" on all four paths);
# `status --json` is one valid JSON array holding both, `list` shows both.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth
net2_setup
tgtd_start 64
lun2=/scratch/tgt-lun2.img
truncate -s 64M $lun2 || fail "backing file 2"
tgt_adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store $lun2 || fail "LUN 2"
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
P=(-t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2")

# Background daemons, as users run them; stopped at exit by name.
for n in 0 1; do
	dev=$("$ISN_BIN" $(isn_verbose) attach "${P[@]}" -l $((n + 1)) --device /dev/nbd$n \
		--log-file "$UML_OUT/iscsi-nbd$n.log") || fail "attach LUN $((n + 1)) as /dev/nbd$n"
	[ "$dev" = /dev/nbd$n ] || fail "attach printed '$dev', want /dev/nbd$n"
	on_exit "'$ISN_BIN' detach nbd$n >/dev/null 2>&1"
done
for n in 0 1; do
	wait_blockdev /dev/nbd$n 10 || fail "/dev/nbd$n has no size"
done

head -c 16M /dev/urandom >/scratch/p0
head -c 16M /dev/urandom >/scratch/p1
for i in 0 1 2 3; do
	for n in 0 1; do
		dd if=/scratch/p$n of=/dev/nbd$n bs=1M skip=$((i * 4)) seek=$((i * 4)) count=4 \
			oflag=direct status=none || fail "write to /dev/nbd$n"
	done
done
sync
echo 3 >/proc/sys/vm/drop_caches
for n in 0 1; do
	cmp -n $((16 << 20)) /scratch/p$n /dev/nbd$n || fail "/dev/nbd$n reads back wrong"
done
cmp -n $((16 << 20)) /scratch/p0 "$TGT_BACKING" || fail "LUN 1's backing file is not nbd0's data"
cmp -n $((16 << 20)) /scratch/p1 $lun2 || fail "LUN 2's backing file is not nbd1's data"

for n in 0 1; do
	st=$("$ISN_BIN" status nbd$n) || fail "status nbd$n"
	echo "$st"
	[ "$(echo "$st" | grep -c ': ACTIVE for')" = 2 ] || fail "nbd$n: not both paths ACTIVE"
	[ "$(echo "$st" | grep -c 'failures 0,')" = 2 ] ||
		fail "nbd$n: a path failed while both daemons ran (sessions reinstating each other?)"
done
# status --json with two daemons: one valid JSON array of both.
js=$("$ISN_BIN" status --json) || fail "status --json"
if command -v python3 >/dev/null; then
	echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert sorted((x["device"], x["lun"]) for x in d) == [("/dev/nbd0", 1), ("/dev/nbd1", 2)], d
for x in d:
    assert [p["state"] for p in x["paths"]] == ["ACTIVE", "ACTIVE"], x
' || fail "status --json with two devices is wrong: $js"
fi
"$ISN_BIN" list | grep -cE '^/dev/nbd[01] +nbd[01] +.* 2/2 +running ' | grep -qx 2 ||
	fail "list does not show both devices with 2/2 paths: $("$ISN_BIN" list)"
for n in 0 1; do
	"$ISN_BIN" detach nbd$n || fail "detach nbd$n"
	wait_for 15 test "$(blockdev_size /dev/nbd$n)" = 0 || fail "/dev/nbd$n still has a size"
done
wait_for 15 sh -c '! pgrep -x iscsi-nbd >/dev/null' || fail "a daemon is left after detach"
log "two LUNs side by side: no path failure, data verified"
