#!/bin/bash
# Guest half of bench/mp-bench.sh (c)/(d): in one User-Mode Linux guest, one
# tgtd in the target namespace reachable over two veth networks, and on the
# initiator side, one after the other:
#   - open-iscsi + dm-multipath: iscsid started by hand, one session per
#     portal, a hand-written round-robin multipath table over the two
#     /dev/sdX (no multipathd, no udev), fio on /dev/dm-N;
#   - `iscsi-nbd attach` over the same two portals, default path settings,
#     fio on /dev/nbdN; portals given plainly and as PORTAL@IFACE.
# The same fio job (4 KiB randwrite QD16, libaio, O_DIRECT, per-I/O
# completion log) on each, the same failure MP_EVENT_AT s in: network 1's
# cable pulled (ip link set ini1 down) or a silent remote loss (netem loss
# 100% on the target's egress of network 1, carrier up). Results go to
# $UML_OUT/results.tsv (bench/mp-stall.py lines) and uml-TAG.dat
# (throughput in 100 ms bins around the event, for bench/plot.gp).
#
# Run by mp-bench.sh through tests/uml/run.sh; by hand:
#   cd BUILD && bash SRC/tests/uml/run.sh SRC/bench/mp-uml-guest.sh
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/uml/lib.sh"
. "$here/uml-stacks.sh"
requires tgtd fio iscsiadm iscsid dmsetup python3
isn_require_attach
uml_guest "$0"
# --- root inside the guest from here on ---

EV_AT=${MP_EVENT_AT:-5}
FS=${MP_FAIL_SECONDS:-20}
# Kernel stack settings (uml-testbed.md): "kdef" NOP 2 s / replacement 5 s,
# "ktuned" NOP 1 s / replacement 2 s (the fast_io_fail_tmo 2 equivalent).
KCONFS=${MP_KCONFS-"kdef:2:2:5 ktuned:1:1:2"}
RES=$UML_OUT/results.tsv
: >"$RES"

load_modules nbd veth sch_netem
kstack_modules
net2_setup
tgtd_start 256
# First touch of guest memory is slow: fill the LUN before measuring.
dd if=/dev/zero of="$TGT_BACKING" bs=1M count=256 conv=notrunc status=none

now_ms() { date +%s%3N; }

# event KIND down|up on network 1.
event() {
	case $1-$2 in
	pull-down) cable_pull 1 ;;
	pull-up) cable_plug 1 ;;
	silent-down) in_tgt tc qdisc replace dev "$TGT_DEV1" root netem loss 100% || fail "netem" ;;
	silent-up) in_tgt tc qdisc del dev "$TGT_DEV1" root 2>/dev/null ;;
	esac
}

# measure TAG DEV KIND: the fio job on DEV, the failure EV_AT s in.
measure() {
	local tag=$1 dev=$2 kind=$3 fpid t_ev line
	log "$tag: fio on $dev, $kind at ${EV_AT}s"
	fio --name=fail --filename="$dev" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
		--iodepth=16 --time_based --runtime="$FS" --write_lat_log="/scratch/$tag" \
		--log_unix_epoch=1 --output-format=json --output="$UML_OUT/fail-$tag.json" \
		>/dev/null 2>"$UML_OUT/fail-$tag.fio.err" &
	fpid=$!
	sleep "$EV_AT"
	t_ev=$(now_ms)
	event "$kind" down
	log "$tag: $kind"
	# Where the requests are during the failover, for the report.
	local spid=
	if [ -n "$ISN_PID" ]; then
		(sleep 4; "$ISN_BIN" status >"$UML_OUT/status-$tag-during.txt" 2>&1) &
		spid=$!
	fi
	wait "$fpid"
	log "$tag: fio exited $?"
	[ -z "$spid" ] || wait "$spid"
	event "$kind" up
	line=$(python3 "$here/mp-stall.py" "/scratch/${tag}_clat.1.log" "$t_ev" \
		"$UML_OUT/fail-$tag.json" "$UML_OUT/uml-$tag.dat")
	printf 'stall\t%s\t%s\n' "$tag" "$line" >>"$RES"
	log "$tag: stall/steady/maxclat/err/kiops: $line"
}

# ---- open-iscsi + dm-multipath (bench/uml-stacks.sh) -------------------
for kc in $KCONFS; do
	IFS=: read -r kname ni nt rt <<<"$kc"
	kinds="pull silent"
	[ "$kname" = kdef ] || kinds=pull
	for kind in $kinds; do
		kstack_setup "$ni" "$nt" "$rt"
		measure "kernel-$kind-$kname-randwrite" "$KDEV" "$kind"
		# Let the session come back before logging out.
		sleep 3
		kstack_teardown
	done
done
kstack_stop

# ---- iscsi-nbd attach --------------------------------------------------------
# The last two: after `tgtadm ... DefaultTime2Retain 0` on the target, which
# shortens iscsi-nbd's ghost-write fence to Time2Wait (src/path/device.h).
for run in "pull plain" "pull iface" "silent plain" "silent iface" t2r0 "pull ifacer0" "silent plainr0"; do
	if [ "$run" = t2r0 ]; then
		tgt_adm --op update --mode target --tid 1 --name DefaultTime2Retain --value 0 ||
			fail "tgtadm DefaultTime2Retain 0"
		continue
	fi
	read -r kind bind <<<"$run"
	{
		if [ "${bind#iface}" != "$bind" ]; then
			p1=$TGT_IP1@$INI_DEV1 p2=$TGT_IP2@$INI_DEV2
		else
			p1=$TGT_IP1 p2=$TGT_IP2
		fi
		isn_attach 30 -- -t "$TGT_IQN" -l 1 -P "$p1" -P "$p2" \
			--initiator-name iqn.2026-01.com.example:uml-isn
		sleep 1
		"$ISN_BIN" status >"$UML_OUT/status-isn-$kind-$bind.txt" 2>&1
		measure "isn-$kind-$bind-randwrite" "$ISN_DEV" "$kind"
		sleep 1
		"$ISN_BIN" status >>"$UML_OUT/status-isn-$kind-$bind.txt" 2>&1
		"$ISN_BIN" detach "$ISN_DEV" || log "detach $ISN_DEV failed"
		wait_for 15 sh -c "! kill -0 $ISN_PID" || log "iscsi-nbd did not exit after detach"
		kill_wait "$ISN_PID" 5
		ISN_PID=
	}
done
log "done"
cat "$RES"
exit 0
