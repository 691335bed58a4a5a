#!/bin/bash
# Guest half of bench/kernel-bench.sh (`make bench-kernel`): throughput of
# /dev/nbd0 (`iscsi-nbd attach`, default settings) against the kernel's own
# stack, open-iscsi + dm-multipath round-robin on /dev/dm-N, in one
# User-Mode Linux guest, over the same tgtd target and the same two veth
# networks. Both stacks are set up once and stay up the whole run, each on
# its own LUN of the same target (equal size, in tmpfs, filled), so the
# two initiators never write the same blocks:
#   LUN 1: open-iscsi, one session per portal, bench/uml-stacks.sh's
#          round-robin table -> /dev/dm-N
#   LUN 2: iscsi-nbd attach over both portals -> /dev/nbd0
#   LUN 3..: one more attach per BENCH_VARIANTS entry ("name=extra attach
#          args;..."), /dev/nbd1.., kept up the whole run as well
# fio (libaio, O_DIRECT, time_based) runs each row on each device in
# BENCH_ROUNDS interleaved rounds; the device order is reversed every other
# round. Around every job the guest's /proc/stat (all CPU time of the
# guest: fio, tgtd, the initiator stack), tgtd's and the daemon's CPU
# ticks and the daemon's context switches are read. Then, for the report's
# "why": the cost of one guest system call (dd bs=1, two calls per block),
# and strace -c of the daemon and of iscsid during short jobs.
# BENCH_WARMUP (s per device and job, default 2, 0: none), BENCH_PROBE=0
# (no "why" part), BENCH_ROWS (a subset of the rows, for investigating).
#
# Results in $UML_OUT: results.tsv (one line per job, see job()), fio-*.json,
# meta.txt, probe.tsv, strace-*.txt. bench/kernel-table.py makes the report.
# Run by kernel-bench.sh through tests/uml/run.sh; by hand:
#   cd BUILD && bash SRC/tests/uml/run.sh SRC/bench/kernel-uml-guest.sh BENCH_SECONDS=3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/uml/lib.sh"
. "$here/uml-stacks.sh"
requires tgtd fio iscsiadm iscsid dmsetup
isn_require_attach
uml_guest "$0"
# --- root inside the guest from here on ---

SECS=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
LUN_MB=${BENCH_LUN_MB:-128}
ROWS=${BENCH_ROWS:-"randread-4k-qd1 randwrite-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 read-1m-qd32 write-1m-qd32"}
PROBE=${BENCH_PROBE:-1}
RES=$UML_OUT/results.tsv
META=$UML_OUT/meta.txt
: >"$RES"
: >"$UML_OUT/probe.tsv"
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
INAME=iqn.2026-01.com.example:uml-isn

{
	echo "guest_kernel	$(uname -r)"
	echo "guest_mem_kib	$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	echo "guest_cpus	$(nproc)"
	echo "clk_tck	$(getconf CLK_TCK)"
	echo "seconds	$SECS"
	echo "rounds	$ROUNDS"
	echo "lun_mb	$LUN_MB"
	echo "fio	$(fio --version)"
} >"$META"

# Stacks: NAME DEVICE LUN EXTRA-ARGS (for attach; "-" for the kernel stack).
STACKS=()
IFS=';' read -r -a variants <<<"${BENCH_VARIANTS:-}"
lun=2
nbd=0
STACKS+=("nbd0|/dev/nbd0|2|")
for v in "${variants[@]}"; do
	[ -n "${v// /}" ] || continue
	name=${v%%=*}
	args=${v#*=}
	if [ "$name" = "$v" ] || [ -z "$name" ]; then
		fail "BENCH_VARIANTS entry '$v' is not NAME=ARGS"
	fi
	case $name in *[!A-Za-z0-9_.-]*) fail "variant name '$name': letters, digits, _ . - only" ;; esac
	lun=$((lun + 1))
	nbd=$((nbd + 1))
	STACKS+=("$name|/dev/nbd$nbd|$lun|$args")
done

load_modules nbd veth
kstack_modules
net2_setup
# The LUNs in a tmpfs of their own, sized for them: a full tmpfs makes
# tgtd fail writes with MEDIUM ERROR, which is not what is measured.
mkdir -p /scratch/luns
mount -t tmpfs -o size=$((lun * LUN_MB + 16))m luns /scratch/luns || fail "tmpfs for the LUNs"
TGT_BACKING=/scratch/luns/tgt-lun1.img
tgtd_start "$LUN_MB"
for ((l = 2; l <= lun; l++)); do
	truncate -s "${LUN_MB}M" "/scratch/luns/tgt-lun$l.img" || fail "backing file of LUN $l"
	tgt_adm --mode logicalunit --op new --tid 1 --lun $l --backing-store "/scratch/luns/tgt-lun$l.img" ||
		fail "tgtadm LUN $l"
done
# The first touch of guest memory is slow in UML: fill every LUN before
# measuring, so that neither stack pays for it.
dd if=/dev/zero of="$TGT_BACKING" bs=1M count="$LUN_MB" conv=notrunc status=none || fail "fill LUN 1"
for ((l = 2; l <= lun; l++)); do
	dd if=/dev/zero of="/scratch/luns/tgt-lun$l.img" bs=1M count="$LUN_MB" conv=notrunc status=none ||
		fail "fill LUN $l"
done

# open-iscsi's defaults (NOP-Out 5/5 s, replacement_timeout 120 s): no
# path fails here, the settings only matter for failover (bench-mp).
kstack_setup 5 5 120 1
echo "kernel_disks	$KSD" >>"$META"
echo "kernel_dev	$KDEV" >>"$META"

declare -A PID_OF
for s in "${STACKS[@]}"; do
	IFS='|' read -r name dev l args <<<"$s"
	# shellcheck disable=SC2086 # the variant's extra arguments are words
	"$ISN_BIN" attach -t "$TGT_IQN" -l "$l" -P "$TGT_IP1" -P "$TGT_IP2" --initiator-name "$INAME" \
		--device "$dev" $args -f >"$UML_OUT/attach-$name.out" 2>"$UML_OUT/iscsi-nbd-$name.log" &
	pid=$!
	PID_OF[$name]=$pid
	on_exit "kill_wait $pid 10"
	wait_blockdev "$dev" 30 || {
		cat "$UML_OUT/iscsi-nbd-$name.log"
		fail "$name: $dev got no size (attach ${args:-with defaults})"
	}
	kill -0 "$pid" 2>/dev/null || fail "$name: iscsi-nbd exited"
	echo "stack	$name	$dev	LUN $l	${args:-defaults}	pid $pid" >>"$META"
	log "$name: $dev = LUN $l, attach ${args:-defaults}, pid $pid"
done
"$ISN_BIN" status >"$UML_OUT/status-before.txt" 2>&1
ALL=("kernel|$KDEV|1|")
ALL+=("${STACKS[@]}")

busy_total() { # user nice system idle iowait irq softirq steal
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}
pid_ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" || echo 0; }
pid_csw() {
	[ -n "$1" ] && awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 }
		END { print v, n }' "/proc/$1/status" || echo "0 0"
}

# fio_args ROW: the job of one row.
fio_args() {
	local rw bs qd
	IFS=- read -r rw bs qd <<<"$1"
	qd=${qd#qd}
	echo "--rw=$rw --bs=$bs --iodepth=$qd"
}

# job ROUND STACK DEV ROW: one fio job; one results.tsv line:
# round stack row json busy-ticks total-ticks tgtd-ticks daemon-ticks
# daemon-voluntary-cs daemon-involuntary-cs wall-ms
job() {
	local r=$1 name=$2 dev=$3 row=$4 pid=${PID_OF[$2]:-} json b0 b1 t0 t1 d0 d1 c0 c1 w0 w1
	json=fio-$r-$name-$row.json
	read -r -a b0 <<<"$(busy_total)"
	t0=$(pid_ticks "$TGTD_PID")
	d0=$(pid_ticks "$pid")
	read -r -a c0 <<<"$(pid_csw "$pid")"
	w0=$(date +%s%3N)
	# shellcheck disable=SC2046 # fio_args prints words
	fio --name="$row" --filename="$dev" --ioengine=libaio --direct=1 $(fio_args "$row") \
		--time_based --runtime="$SECS" --norandommap --randrepeat=0 \
		--output-format=json --output="$UML_OUT/$json" >/dev/null 2>"$UML_OUT/fio.err" ||
		fail "fio $row on $dev: $(cat "$UML_OUT/fio.err")"
	w1=$(date +%s%3N)
	read -r -a b1 <<<"$(busy_total)"
	t1=$(pid_ticks "$TGTD_PID")
	d1=$(pid_ticks "$pid")
	read -r -a c1 <<<"$(pid_csw "$pid")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$name" "$row" "$json" \
		$((b1[0] - b0[0])) $((b1[1] - b0[1])) $((t1 - t0)) $((d1 - d0)) \
		$((c1[0] - c0[0])) $((c1[1] - c0[1])) $((w1 - w0)) >>"$RES"
}

# Warm-up, not recorded: the first touch of guest memory (socket buffers,
# slab, the daemon's buffers) costs a host page fault in UML; the first
# round would pay it for whichever stack goes first.
if [ "${BENCH_WARMUP:-2}" != 0 ]; then
	for s in "${ALL[@]}"; do
		IFS='|' read -r name dev _ _ <<<"$s"
		for row in write-1m-qd32 randwrite-4k-qd32; do
			# shellcheck disable=SC2046
			fio --name=warmup --filename="$dev" --ioengine=libaio --direct=1 $(fio_args $row) \
				--time_based --runtime="${BENCH_WARMUP:-2}" --output=/dev/null ||
				fail "warm-up fio on $dev"
		done
	done
	log "warm-up done"
fi

for ((r = 1; r <= ROUNDS; r++)); do
	order=("${ALL[@]}")
	if [ $((r % 2)) = 0 ]; then
		order=()
		for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do order+=("${ALL[i]}"); done
	fi
	for row in $ROWS; do
		for s in "${order[@]}"; do
			IFS='|' read -r name dev _ _ <<<"$s"
			job "$r" "$name" "$dev" "$row"
		done
		log "round $r $row done"
	done
done
"$ISN_BIN" status >"$UML_OUT/status-after.txt" 2>&1
echo "proc_stat_cpu	$(grep '^cpu ' /proc/stat)" >>"$META"
# A path failure in the middle of a job costs that job a failover: the
# report names every one (a loaded host can slow the guest past the
# daemon's 1.5 s NOP timeout).
for s in "${STACKS[@]}"; do
	IFS='|' read -r name _ _ _ <<<"$s"
	grep -E 'ACTIVE -> FAILED' "$UML_OUT/iscsi-nbd-$name.log" | sed "s/^/path_failure	$name	/" >>"$META"
done

# ---- why: the price of a guest system call, and who makes how many -------
if [ "$PROBE" = 1 ]; then
	# Three tries, the fastest counts (the host is shared).
	n=10000 best=
	for i in 1 2 3; do
		w0=$(date +%s%N)
		dd if=/dev/zero of=/dev/null bs=1 count=$n status=none
		w1=$(date +%s%N)
		ns=$(((w1 - w0) / (2 * n)))
		[ -n "$best" ] && [ "$best" -le "$ns" ] || best=$ns
	done
	printf 'syscall_ns\t%s\n' "$best" >>"$UML_OUT/probe.tsv"
	if command -v strace >/dev/null; then
		# strace -c of one process during a short job; the job's I/O
		# count (fio json) turns the totals into calls per I/O.
		trace() { # NAME PID DEV ROW
			local sp
			strace -c -f -p "$2" -o "$UML_OUT/strace-$1-$4.txt" 2>/dev/null &
			sp=$!
			sleep 1
			# shellcheck disable=SC2046
			fio --name="$4" --filename="$3" --ioengine=libaio --direct=1 $(fio_args "$4") \
				--time_based --runtime=3 --norandommap --randrepeat=0 \
				--output-format=json --output="$UML_OUT/fio-strace-$1-$4.json" >/dev/null 2>&1
			kill -INT "$sp"
			wait "$sp"
		}
		trace nbd0 "${PID_OF[nbd0]}" /dev/nbd0 randwrite-4k-qd1
		trace nbd0 "${PID_OF[nbd0]}" /dev/nbd0 randread-4k-qd32
		trace nbd0 "${PID_OF[nbd0]}" /dev/nbd0 read-1m-qd32
		trace iscsid "$ISCSID_PID" "$KDEV" randwrite-4k-qd1
		# Each variant (BENCH_VARIANTS) at 4 KiB QD1, where calls per I/O count most.
		for s in "${STACKS[@]}"; do
			IFS='|' read -r name dev _ _ <<<"$s"
			[ "$name" = nbd0 ] || trace "$name" "${PID_OF[$name]}" "$dev" randwrite-4k-qd1
		done
	else
		log "no strace: system calls per I/O not counted"
	fi
fi
log "done"
exit 0
