# Guest side of the UML benchmarks (bench/mp-uml-guest.sh,
# bench/kernel-uml-guest.sh): the kernel's own initiator stack, open-iscsi +
# dm-multipath, over the two networks of tests/uml/lib.sh's net2_setup and
# the tgtd of tgtd_start. Sourced after tests/uml/lib.sh, inside the guest.
#
#   kstack_modules                   modprobe iscsi_tcp, sd, dm-multipath
#   kstack_setup NI NT RT [LUN]      iscsid (once), one session per portal
#                                    (NOP-Out interval NI s, timeout NT s,
#                                    replacement_timeout RT s), and a
#                                    hand-written round-robin multipath
#                                    table "mpb" over the two /dev/sdX of
#                                    LUN (default 1; other LUNs of the target
#                                    appear as sd disks too and are left
#                                    alone); sets KDEV=/dev/dm-N, KSD="sdX sdY"
#   kstack_teardown                  remove the table, log out, forget nodes
#   kstack_stop                      stop iscsid (also registered on exit)
#
# No multipathd and no udev: the table is the one multipathd would build
# with path_grouping_policy multibus, path_selector "round-robin 0" and
# rr_min_io_rq 1.
# shellcheck shell=bash

ISCSID_PID=
KDEV='' KSD=''

kstack_modules() {
	local m
	for m in iscsi_tcp sd_mod dm_multipath dm_round_robin; do
		modprobe $m || fail "modprobe $m"
	done
}

# kstack_lun_disks LUN: the sd disks whose SCSI address ends in LUN.
kstack_lun_disks() {
	local d a
	for d in /sys/block/sd*; do
		[ -e "$d/device" ] || continue
		a=$(basename "$(readlink -f "$d/device")")
		[ "${a##*:}" = "$1" ] && basename "$d"
	done
}

kstack_setup() {
	local ni=$1 nt=$2 rt=$3 lun=${4:-1}
	mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
	rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets /var/lib/iscsi/nodes /var/lib/iscsi/send_targets
	echo "InitiatorName=iqn.2026-01.com.example:uml-kernel" >/etc/iscsi/initiatorname.iscsi
	cat >/etc/iscsi/iscsid.conf <<EOF
iscsid.startup = /bin/true
node.startup = manual
node.session.timeo.replacement_timeout = $rt
node.conn[0].timeo.noop_out_interval = $ni
node.conn[0].timeo.noop_out_timeout = $nt
node.conn[0].timeo.login_timeout = 5
node.session.initial_login_retry_max = 2
EOF
	if [ -z "$ISCSID_PID" ]; then
		# Its own session: iscsid's shutdown signals its whole process
		# group, which would otherwise be this script's. setsid is not
		# a group leader here, so it execs in place and $! is iscsid.
		setsid iscsid -f >"$UML_OUT/iscsid.log" 2>&1 &
		ISCSID_PID=$!
		on_exit kstack_stop
		sleep 1
	fi
	local ip
	for ip in "$TGT_IP1" "$TGT_IP2"; do
		iscsiadm -m discovery -t st -p "$ip" >/dev/null || fail "iscsiadm discovery $ip"
		iscsiadm -m node -T "$TGT_IQN" -p "$ip:3260" -l || fail "iscsiadm login $ip"
	done
	kstack_two() { [ "$(kstack_lun_disks "$lun" | wc -l)" = 2 ]; }
	wait_for 20 kstack_two || fail "two sd disks of LUN $lun did not appear"
	local d mm=() sz
	KSD=$(kstack_lun_disks "$lun" | tr '\n' ' ')
	for d in $KSD; do
		wait_for 10 blockdev_has_size "/dev/$d"
		mm+=("$(cat "/sys/block/$d/dev")")
		sz=$(cat "/sys/block/$d/size")
	done
	dmsetup create --noudevsync mpb --table \
		"0 $sz multipath 0 0 1 1 round-robin 0 2 1 ${mm[0]} 1 ${mm[1]} 1" ||
		fail "dmsetup create"
	KDEV=/dev/dm-$(dmsetup info -c --noheadings -o minor mpb | tr -d ' ')
	[ -b "$KDEV" ] || fail "$KDEV missing"
	dmsetup table mpb
	log "kernel stack: $KDEV over $KSD(${mm[*]}, LUN $lun; NOP $ni/$nt s, replacement_timeout $rt s)"
}

kstack_teardown() {
	dmsetup status mpb
	dmsetup remove --noudevsync mpb || dmsetup remove --noudevsync -f mpb
	iscsiadm -m node -u >/dev/null 2>&1
	iscsiadm -m node -o delete >/dev/null 2>&1
	wait_for 20 sh -c '! ls -d /sys/block/sd* >/dev/null 2>&1' || log "sd disks still there"
	KDEV='' KSD=''
}

kstack_stop() {
	[ -n "$ISCSID_PID" ] || return 0
	iscsiadm -m node -u >/dev/null 2>&1
	kill_wait "$ISCSID_PID" 3
	ISCSID_PID=
}
