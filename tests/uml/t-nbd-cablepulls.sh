#!/bin/bash
# Many cable pulls under a live, verified write workload. `iscsi-nbd
# attach` over both networks (round-robin, --no-path-retry 30) exports
# tgtd's LUN 1 as /dev/nbd0 with ext4 on it; a writer keeps writing 4 MiB
# files of random data with known sha256 sums, fsyncs each, and reads an
# earlier one back with O_DIRECT to check it, while CABLEPULLS (default
# 20) rounds each pull cable 1 or 2 at random, keep it out for a random
# 0.3-2 s, plug it back and wait (bounded) until that path is ACTIVE again
# in `status --json`, so at most one cable is ever out. Proves that:
# - no write or read of the workload fails (the writer exits 0) and the
#   kernel logs no I/O error for nbd0;
# - after sync, umount, `e2fsck -f -n` is clean, and after dropping caches
#   and remounting every file still matches its sum;
# - every pulled path comes back ACTIVE, and detach ends with exit 0.
# Prints the number of pulls, files and MiB written and per-path failure
# counters. CABLEPULLS=N as KEY=VALUE runs a longer round.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm mkfs.ext4 e2fsck sha256sum
CABLEPULLS=${CABLEPULLS:-20}
for a in "$@"; do
	case $a in CABLEPULLS=*) CABLEPULLS=${a#*=} ;; esac
done
# A longer run (CABLEPULLS=100) needs more than run.sh's default 300 s.
[ "$CABLEPULLS" -le 20 ] || : "${UML_TIMEOUT:=$((300 + 8 * CABLEPULLS))}"
export UML_TIMEOUT
UML_SANITIZER_OK=1 uml_guest "$0" "CABLEPULLS=$CABLEPULLS" "$@"
FILE_MB=4
KEEP_FILES=24 # live files at most (96 MiB); older ones are deleted
mnt=/scratch/mnt
sums=/scratch/sums
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd

load_modules nbd veth
net2_setup
tgtd_start 256

isn_attach 60 -- -t "$TGT_IQN" -l 1 -P "$TGT_IP1" -P "$TGT_IP2" \
	--policy round-robin --no-path-retry 30 --device /dev/nbd0
dev=$ISN_DEV
[ "$dev" = /dev/nbd0 ] || fail "attached $dev, asked for /dev/nbd0"

# path_json N: the status --json object of the path over network N.
path_json() {
	local ip
	eval "ip=\$TGT_IP$1"
	"$ISN_BIN" status --json 2>/dev/null | grep -o "\"portal\":\"$ip:3260\"[^}]*"
}
path_state() {
	path_json "$1" | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p'
}
path_failures() {
	path_json "$1" | sed -n 's/.*"failures":\([0-9]*\).*/\1/p'
}
path_active() {
	[ "$(path_state "$1")" = ACTIVE ]
}
path_ios() {
	path_json "$1" | sed -n 's/.*"ios":\([0-9]*\).*/\1/p'
}
# path_back N IOS: path N is ACTIVE and has completed I/O since it had IOS.
# ACTIVE alone is not enough: without PORTAL@IFACE nothing tells the
# daemon of a pulled cable, so a path stays ACTIVE on a stalled TCP
# connection until its NOP times out (3 s) or TCP retransmits after the
# plug. A few O_DIRECT reads of the device make sure round-robin has I/O
# to put on it even while the writer computes.
path_back() {
	dd if="$dev" of=/dev/null bs=4k count=1 skip=$((RANDOM * 4)) iflag=direct status=none &
	dd if="$dev" of=/dev/null bs=4k count=1 skip=$((RANDOM * 4)) iflag=direct status=none
	wait $!
	path_active "$1" && [ "$(path_ios "$1")" -gt "$2" ]
}
for n in 1 2; do
	wait_for 30 path_active $n || fail "path $n not ACTIVE after attach: $(path_json $n)"
done

mkfs.ext4 -q -F "$dev" || fail "mkfs.ext4 $dev"
mkdir -p "$mnt"
mount "$dev" "$mnt" || fail "mount $dev"
on_exit "umount $mnt 2>/dev/null"

# The writer: file after file of random data, written with fsync, its sum
# kept in $sums; after each write an earlier file is read back with
# O_DIRECT (from the device, not the page cache) and checked. Stops when
# /scratch/stop exists; exits non-zero at the first error.
writer() {
	local i=0 old src=/scratch/src s
	: >"$sums"
	while [ ! -e /scratch/stop ]; do
		i=$((i + 1))
		head -c ${FILE_MB}M /dev/urandom >"$src" || { echo "writer: urandom"; return 2; }
		s=$(sha256sum <"$src" | cut -d' ' -f1)
		if ! dd if="$src" of="$mnt/f$i" bs=1M conv=fsync status=none; then
			echo "writer: write of f$i failed"
			return 1
		fi
		echo "$s  f$i" >>"$sums"
		echo $i >/scratch/written
		# Read back the file written 3 before (or this one) with O_DIRECT.
		old=$((i > 3 ? i - 3 : i))
		if [ -e "$mnt/f$old" ]; then
			s=$(dd if="$mnt/f$old" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
			if ! grep -qx "$s  f$old" "$sums"; then
				echo "writer: read-back of f$old does not match its sum"
				return 1
			fi
		fi
		# Bound the live data: delete the oldest file beyond KEEP_FILES.
		old=$((i - KEEP_FILES))
		if [ $old -ge 1 ]; then
			rm -f "$mnt/f$old" || { echo "writer: rm f$old failed"; return 1; }
			sed -i "/  f$old\$/d" "$sums"
		fi
	done
	return 0
}
rm -f /scratch/stop /scratch/written
writer >/scratch/writer.out 2>&1 &
wpid=$!
on_exit "touch /scratch/stop; kill $wpid 2>/dev/null"
f1_0=$(path_failures 1) f2_0=$(path_failures 2)
log "writer $wpid started; $CABLEPULLS cable pulls follow"

# The writer is under way (its first file is done) before the first
# pull, so that the pull hits running I/O.
wait_for 60 test -s /scratch/written ||
	fail "the writer finished no file within 60 s: $(cat /scratch/writer.out)"
pulls=0 noticed=0 pulled1=0 pulled2=0 t0=$SECONDS
for r in $(seq 1 "$CABLEPULLS"); do
	kill -0 $wpid 2>/dev/null || break
	n=$((RANDOM % 2 + 1))
	# 0.3 .. 2.0 s out, in 10 ms steps
	ms=$((300 + RANDOM % 1701))
	out=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	fb=$(path_failures $n)
	cable_pull $n
	# The outage length is the scenario (pacing, not a wait).
	sleep "$out"
	cable_plug $n
	ios=$(path_ios $n)
	pulls=$((pulls + 1))
	eval "pulled$n=\$((pulled$n + 1))"
	ts=$SECONDS
	if ! wait_for 30 path_back $n "${ios:-0}"; then
		"$ISN_BIN" status
		fail "round $r: path $n not ACTIVE with new I/O within 30 s of plugging cable $n back in: $(path_json $n)"
	fi
	# Did the daemon notice this pull (its path failed)? A short pull
	# on a path with nothing in flight may pass unnoticed.
	fa=$(path_failures $n) seen=no
	if [ "${fa:-0}" -gt "${fb:-0}" ]; then
		noticed=$((noticed + 1)) seen=yes
	fi
	log "round $r: cable $n out ${out} s, path failed: $seen, ACTIVE with I/O again $((SECONDS - ts)) s after plug" \
		"(files written so far: $(cat /scratch/written 2>/dev/null || echo 0))"
done
pull_wall=$((SECONDS - t0))

touch /scratch/stop
wait $wpid
wrc=$?
cat /scratch/writer.out
[ $pulls = "$CABLEPULLS" ] || fail "the writer died during round $((pulls + 1)) (exit $wrc)"
[ $wrc = 0 ] || fail "the writer exited $wrc (an I/O error or a bad read-back, above)"
written=$(cat /scratch/written 2>/dev/null || echo 0)
[ "$written" -gt 0 ] || fail "the writer wrote no file"

errs=$(dmesg | grep -i 'I/O error\|blk_update_request' | grep nbd0)
[ -z "$errs" ] || fail "kernel I/O errors on nbd0: $errs"

"$ISN_BIN" status
f1=$(path_failures 1) f2=$(path_failures 2)

sync
umount "$mnt" || fail "umount $mnt"
e2fsck -f -n "$dev" || fail "e2fsck found errors on $dev after the cable pulls"
echo 3 >/proc/sys/vm/drop_caches
mount "$dev" "$mnt" || fail "remount $dev"
nfiles=$(wc -l <"$sums")
[ "$(ls "$mnt" | grep -c '^f[0-9]*$')" = "$nfiles" ] ||
	fail "$(ls "$mnt" | grep -c '^f[0-9]*$') files on $dev, $nfiles in the sum list"
(cd "$mnt" && sha256sum -c --quiet "$sums") || fail "checksums differ after remount"
umount "$mnt" || fail "final umount"
log "all $nfiles live files verified after remount"

isn_detach

echo "FIGURES: pulls $pulls (cable 1: $pulled1, cable 2: $pulled2) in $pull_wall s," \
	"$noticed of them seen as a path failure;" \
	"files written $written, MiB written $((written * FILE_MB));" \
	"path failures during the pulls: network 1 $((f1 - f1_0)), network 2 $((f2 - f2_0))" \
	"(totals $f1 / $f2)"
