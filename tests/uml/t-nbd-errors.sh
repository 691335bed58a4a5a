#!/bin/bash
# `iscsi-nbd attach` failures in a real kernel: each one gives the exit
# code documented in src/cli/main.c and a message that names the cause, and
# leaves nothing half-attached: /dev/nbd0 keeps size 0 (no CONNECT was
# made), no iscsi-nbd process is left, and no control socket is left in the
# run directory. Attach runs as users run it, in the background (the parent
# reports the daemon's result), except where said.
#   wrong IQN                                -> 3 (login failure)
#   unreachable portals (refused, no route)  -> 2 (connection failure)
#   LUN 0, tgtd's storage controller         -> 5 (SCSI), says so
#   CHAP demanded by the target, no secret   -> 4 (authentication)
# And one that fails after the daemon started: a second attach naming a
# device that a running daemon serves must fail without taking the device
# from it; the first daemon's device keeps working and detaches cleanly.
# The second attach is of LUN 2 (one daemon per LUN would refuse LUN 1
# before it looks at the device): a third, of LUN 1 on another device,
# is refused with exit 9 naming the first daemon's PID.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm pgrep
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth
net2_setup
tgtd_start 64
# Target 2: same LUN layout, but the target demands CHAP.
CHAP_IQN=$TGT_IQN-chap
tgt_adm --mode target --op new --tid 2 --targetname "$CHAP_IQN" || fail "target 2"
truncate -s 64M /scratch/tgt-chap.img
tgt_adm --mode logicalunit --op new --tid 2 --lun 1 --backing-store /scratch/tgt-chap.img ||
	fail "target 2 lun 1"
tgt_adm --mode target --op bind --tid 2 --initiator-address ALL || fail "target 2 bind"
tgt_adm --mode account --op new --user alice --password alicesecret12 || fail "account"
tgt_adm --mode account --op bind --tid 2 --user alice || fail "account bind"
# LUN 2 of target 1: a second attach on a busy device, of another LUN.
truncate -s 64M /scratch/tgt-lun2.img
tgt_adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store /scratch/tgt-lun2.img ||
	fail "target 1 lun 2"

export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
out=/scratch/attach.out err=/scratch/attach.err

# nothing_left WHAT: the failed attach left no trace.
nothing_left() {
	local s
	# The daemon (if one was forked) may still be on its way out.
	wait_for 10 sh -c '! pgrep -x iscsi-nbd >/dev/null' ||
		fail "$1: an iscsi-nbd process is left: $(pgrep -a -x iscsi-nbd)"
	[ "$(blockdev_size /dev/nbd0)" = 0 ] ||
		fail "$1: /dev/nbd0 has size $(blockdev_size /dev/nbd0)"
	for s in "$ISCSI_NBD_RUNDIR"/*.sock; do
		[ -e "$s" ] && fail "$1: control socket $s left"
	done
	[ ! -s "$out" ] || fail "$1: attach printed a device on stdout: $(cat "$out")"
	return 0
}

# expect_attach CODE REGEX WHAT ARGS..: attach ARGS.. exits CODE and its
# stderr matches REGEX (grep -Ei).
expect_attach() {
	local code=$1 re=$2 what=$3 rc
	shift 3
	log "$what: iscsi-nbd attach $*"
	timeout 60 "$ISN_BIN" attach "$@" >"$out" 2>"$err"
	rc=$?
	sed 's/^/    /' "$err"
	[ $rc = "$code" ] || fail "$what: exit $rc, want $code"
	grep -Eiq "$re" "$err" || fail "$what: stderr does not match /$re/"
	nothing_left "$what"
	log "$what: exit $rc as documented"
}

expect_attach 3 "not found|target" "wrong IQN" \
	-t iqn.2026-01.com.example:no.such.target -P "$TGT_IP1" -P "$TGT_IP2" -l 1
expect_attach 2 "refused|unreachable|connect" "nothing listening on the portals" \
	-t "$TGT_IQN" -P "$TGT_IP1:3261" -P "$TGT_IP2:3261" -l 1 --timeout 10
expect_attach 2 "unreachable|no route|connect" "no route to the portal" \
	-t "$TGT_IQN" -P 10.9.9.1 -l 1 --timeout 10
expect_attach 5 "storage controller" "LUN 0 (controller)" \
	-t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 0
expect_attach 4 "auth|chap" "CHAP demanded, no secret given" \
	-t "$CHAP_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1
# The foreground mode reports the same codes (preflight runs before -f matters).
expect_attach 3 "not found|target" "wrong IQN, foreground" \
	-t iqn.2026-01.com.example:no.such.target -P "$TGT_IP1" -l 1 -f
grep -q alicesecret12 "$err" && fail "a secret was printed"

# A device in use: the first daemon serves /dev/nbd0; a second attach
# naming /dev/nbd0 must be refused (exit 7, "in use") and must leave the
# first one alone: still running, its control socket in place, both paths
# ACTIVE, its data readable and writable, and it detaches cleanly.
#   case 1: the first daemon has the default control name nbd0, so the
#           second one sees it before logging in;
#   case 2: the first daemon runs under --name first, so the second one
#           logs in and sends RECONFIGURE with LUN 2's backend identifier,
#           which the kernel refuses (EINVAL, "backend image doesn't match"
#           in dmesg; with the same identifier it would "succeed" without
#           taking a socket, which export.c also checks): the second
#           daemon must say the device is in use and not DISCONNECT it.
in_use_case() {
	local n=$1 ctlname=$2 first rc
	shift 2
	isn_attach 30 -- -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1 --device /dev/nbd0 "$@"
	first=$ISN_PID
	head -c 4M /dev/urandom >/scratch/pat
	dd if=/scratch/pat of=/dev/nbd0 bs=1M oflag=direct status=none ||
		fail "case $n: write through nbd0"
	log "case $n: LUN 1 again, on /dev/nbd1: one daemon per LUN"
	timeout 60 "$ISN_BIN" attach -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1 \
		--device /dev/nbd1 >"$out" 2>"$err"
	rc=$?
	sed 's/^/    /' "$err"
	[ $rc = 9 ] || fail "case $n: a second attach of LUN 1 exited $rc, want 9 (LUN busy)"
	grep -q "PID $first " "$err" || fail "case $n: the refusal does not name PID $first"
	log "case $n: second attach on /dev/nbd0 (LUN 2) while pid $first serves it"
	timeout 60 "$ISN_BIN" attach -t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 2 \
		--device /dev/nbd0 >"$out" 2>"$err"
	rc=$?
	sed 's/^/    /' "$err"
	[ $rc != 0 ] || fail "case $n: a second attach on a device in use succeeded: $(cat "$out")"
	[ $rc = 7 ] || fail "case $n: second attach exited $rc, want 7 (local error)"
	grep -Eq "/dev/nbd0 is in use" "$err" ||
		fail "case $n: the message does not say that /dev/nbd0 is in use"
	wait_for 10 sh -c "[ \$(pgrep -x iscsi-nbd | wc -l) = 1 ]" ||
		fail "case $n: second attach left a process: $(pgrep -a -x iscsi-nbd)"
	kill -0 "$first" 2>/dev/null || fail "case $n: the first daemon died"
	[ -S "$ISCSI_NBD_RUNDIR/$ctlname.sock" ] ||
		fail "case $n: the first daemon's control socket is gone"
	blockdev_has_size /dev/nbd0 || fail "case $n: /dev/nbd0 lost its size"
	echo 3 >/proc/sys/vm/drop_caches
	cmp -n $((4 << 20)) /scratch/pat /dev/nbd0 || fail "case $n: nbd0 data changed"
	dd if=/scratch/pat of=/dev/nbd0 bs=1M seek=8 oflag=direct status=none ||
		fail "case $n: write through nbd0 after the refused second attach"
	# Give the first daemon's paths time to settle (LUN 2's logins use
	# ISIDs of their own, so they reinstate nothing).
	both_active() {
		[ "$("$ISN_BIN" status "$ctlname" | grep -c ': ACTIVE for')" = 2 ]
	}
	wait_for 20 both_active || fail "case $n: first daemon: not both paths ACTIVE"
	"$ISN_BIN" status "$ctlname"
	ISN_DEV=/dev/nbd0
	if [ "$ctlname" != nbd0 ]; then
		# isn_detach names the device; this daemon answers to its --name.
		"$ISN_BIN" detach "$ctlname" || fail "case $n: detach $ctlname"
		wait_for 15 test "$(blockdev_size /dev/nbd0)" = 0 || fail "case $n: size after detach"
		wait_for 15 sh -c "! kill -0 $first" || fail "case $n: first daemon did not exit"
		wait "$first" || fail "case $n: first daemon exited $?"
		ISN_PID=
	else
		isn_detach
	fi
	: >"$out"
	nothing_left "case $n: after detach"
	log "case $n: second attach refused (exit $rc); the first device was not disturbed"
}
in_use_case 1 nbd0
in_use_case 2 first --name first
