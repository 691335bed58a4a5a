#!/usr/bin/env bash
# Throughput and CPU cost of the NBD bridge, side by side with its peers,
# in one run on one target (the issue-11 benchmark, host half):
#   - iscsi-nbd serve  (our NBD server mode over one path), one process per
#                      variant (BENCH_VARIANTS), each on its own socket
#   - qemu-nbd         (QEMU's libiscsi block driver, the same LUN)
#   - iscsi-perf       (libiscsi, straight to the LUN; reads only)
# One tgtd in a private network namespace, its LUN a file in /dev/shm
# (tmpfs), everything over that namespace's loopback. fio's nbd engine
# drives the NBD servers with the same jobs. All servers stay up for the
# whole run; each round runs every job for every peer, the peers one after
# the other (the first peer rotates from round to round), so that a change
# in the machine's load hits every peer alike; the report gives the median
# and range over the rounds. CPU is the bridge process's user+system time
# over the job (from /proc/PID/stat), per GiB moved. For every peer, also
# what bounds the job: the machine's CPUs busy, and the CPU share of tgtd's
# busiest thread.
#
# Usage: bench/nbd-bench.sh [BUILD_DIR]   (as root; `make bench` passes it)
# Env:   BENCH_ROUNDS (default 3), BENCH_SECONDS (per job, default 5, after
#        BENCH_RAMP seconds of ramp, default 1), BENCH_LUN_MB (default 1024),
#        BENCH_OUT (report, default BUILD_DIR/bench/nbd-bench.md; the plot,
#        the raw figures and the README excerpt go beside it),
#        BENCH_JOBS (extended regex picking job names, default all),
#        BENCH_PEERS (which of "iscsi-nbd qemu-nbd iscsi-perf" to run, default all),
#        BENCH_VARIANTS ('NAME=ARGS;NAME=ARGS': one iscsi-nbd serve per
#          variant with these extra arguments, e.g.
#          'base=;nocoal=--coalesce-us 0'; default 'base=', the defaults;
#          NAME@BINARY=ARGS runs another build's iscsi-nbd, to compare
#          two builds in the same rounds),
#        BENCH_ISN_ARGS (more arguments for every iscsi-nbd serve),
#        BENCH_DOCS (yes: write the results into docs/bench/nbd-bench.md,
#          docs/bench/nbd-bench.png and README.md between their markers;
#          default yes for a run of all jobs and peers, else no)
set -euo pipefail

t_start=$(date +%s)
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
bin=$build/iscsi-nbd
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECONDS:-5}
ramp=${BENCH_RAMP:-1}
lun_mb=${BENCH_LUN_MB:-1024}
out=${BENCH_OUT:-$build/bench/nbd-bench.md}
job_re=${BENCH_JOBS:-.}
peers=" ${BENCH_PEERS:-iscsi-nbd qemu-nbd iscsi-perf} "
want_peer() { [[ $peers == *" $1 "* ]]; }
if [ -z "${BENCH_JOBS:-}${BENCH_PEERS:-}" ]; then docs=${BENCH_DOCS:-yes}; else docs=${BENCH_DOCS:-no}; fi

me=nbd-bench
for n in "$rounds" "$secs" "$ramp" "$lun_mb"; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "$me: BENCH_ROUNDS, BENCH_SECONDS, BENCH_RAMP and BENCH_LUN_MB are positive integers" >&2; exit 1; }
done

# Variants: NAME=ARGS separated by ';'. NAME names the serve process, its
# socket and its column; ARGS are split into words like a shell would
# without quotes (no quoting inside one argument).
var_names=()
var_args=()
var_bins=()
IFS=';' read -r -a var_specs <<<"${BENCH_VARIANTS:-base=}"
for v in "${var_specs[@]}"; do
	[ -n "${v//[[:space:]]/}" ] || continue
	[[ $v == *=* ]] || { echo "$me: BENCH_VARIANTS entry '$v' is not NAME=ARGS" >&2; exit 1; }
	name=${v%%=*}
	name=${name//[[:space:]]/}
	vbin=$bin
	if [[ $name == *@* ]]; then # NAME@BINARY: this variant runs another build
		vbin=${name#*@}
		name=${name%%@*}
		[ -x "$vbin" ] || { echo "$me: variant '$name': $vbin is not an executable" >&2; exit 1; }
	fi
	[[ $name =~ ^[A-Za-z0-9_-]{1,24}$ ]] || { echo "$me: variant name '$name': letters, digits, _ and - only (1-24)" >&2; exit 1; }
	for o in "${var_names[@]}"; do [ "$o" != "$name" ] || { echo "$me: variant '$name' given twice" >&2; exit 1; }; done
	var_names+=("$name")
	var_args+=("${v#*=}")
	var_bins+=("$vbin")
done
[ "${#var_names[@]}" -gt 0 ] || { echo "$me: BENCH_VARIANTS names no variant" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_require tgtd tgtadm fio qemu-nbd iscsi-perf ip python3 gnuplot
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "$me: this fio has no nbd engine" >&2; exit 1; }

# name rw bs iodepth
jobs=(
	"seq-read-1M-qd32 read 1M 32"
	"seq-write-1M-qd32 write 1M 32"
	"rand-read-4K-qd32 randread 4k 32"
	"rand-write-4K-qd32 randwrite 4k 32"
	"rand-read-4K-qd1 randread 4k 1"
	"rand-write-4K-qd1 randwrite 4k 1"
)
picked=()
for j in "${jobs[@]}"; do [[ ${j%% *} =~ $job_re ]] && picked+=("$j"); done
[ "${#picked[@]}" -gt 0 ] || { echo "$me: BENCH_JOBS='$job_re' picks none of the jobs" >&2; exit 1; }

hz=$(getconf CLK_TCK)
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
[ -n "$cpu_model" ] || cpu_model=$(uname -m)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
date0=$(date -u '+%Y-%m-%d %H:%M UTC')

echo "$me: $date0, iscsi-nbd $rev, $cpu_model, $(nproc) CPUs, load average $load0;" \
	"$rounds rounds of $secs s jobs after $ramp s of ramp"
iqn=iqn.2026-11.org.iscsi-nbd:bench
bench_tgtd $iqn
results=$work/results.tsv
: >"$results"

# The peers of one round, in order: "kind variant socket pid".
peer_list=()

start_serve() { # index
	local i=$1 name=${var_names[$1]} pid
	# A run dir, initiator name and control name of its own per variant:
	# the LUN lock allows one daemon per LUN in one run dir, and two
	# daemons with one initiator name would reinstate each other's
	# sessions. No reservation: the servers share the LUN on purpose.
	mkdir -p "$work/run-$name"
	# shellcheck disable=SC2086 # the variant's and BENCH_ISN_ARGS' words
	ISCSI_NBD_RUNDIR=$work/run-$name ip netns exec "$ns" "${var_bins[$i]}" serve -t $iqn -l 1 -P 127.0.0.1 \
		--socket "$work/isn-$name.sock" -f --name "bench-$$-$name" \
		--initiator-name "iqn.2026-11.org.iscsi-nbd:bench-$name" --reservation none \
		${var_args[$i]} ${BENCH_ISN_ARGS:-} >"$work/isn-$name.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	wait_sock "$work/isn-$name.sock" "$pid" || { cat "$work/isn-$name.log" >&2; exit 1; }
	# The serve process is $pid itself: ip netns exec execs, it does not fork.
	peer_list+=("isn $name $work/isn-$name.sock $pid")
	echo "  iscsi-nbd [$name] PID $pid: ${var_bins[$i]} serve ${var_args[$i]:-(defaults)} ${BENCH_ISN_ARGS:-}"
}

echo "== starting the servers"
if want_peer iscsi-nbd; then
	for i in "${!var_names[@]}"; do start_serve "$i"; done
fi
if want_peer qemu-nbd; then
	ip netns exec "$ns" qemu-nbd -f raw -t -k "$work/qemu.sock" --cache=none "iscsi://127.0.0.1/$iqn/1" \
		>"$work/qemu.log" 2>&1 &
	q_pid=$!
	bench_track "$q_pid"
	wait_sock "$work/qemu.sock" "$q_pid" || { cat "$work/qemu.log" >&2; exit 1; }
	peer_list+=("qemu - $work/qemu.sock $q_pid")
	echo "  qemu-nbd PID $q_pid"
fi
if want_peer iscsi-perf; then peer_list+=("perf - - -"); fi
[ "${#peer_list[@]}" -gt 0 ] || { echo "$me: BENCH_PEERS names no peer" >&2; exit 1; }

alive() { # every server still up, else its log and exit
	local p kind name sock pid
	for p in "${peer_list[@]}"; do
		read -r kind name sock pid <<<"$p"
		[ "$pid" = - ] || kill -0 "$pid" 2>/dev/null && continue
		echo "$me: $kind $name (PID $pid) died; its log:" >&2
		if [ "$kind" = isn ]; then cat "$work/isn-$name.log" >&2; else cat "$work/qemu.log" >&2; fi
		exit 1
	done
}

run_fio() { # round kind variant socket pid name rw bs qd
	local r=$1 kind=$2 var=$3 sock=$4 pid=$5 name=$6 rw=$7 bs=$8 qd=$9 c0 c1 t0 t1 json bound
	json=$work/$kind-$var-$name-$r.json
	c0=$(cpu_ticks "$pid")
	t0=$(cpu_ticks "$tgtd_pid")
	bound_begin
	nsx fio --name="$name" --ioengine=nbd --uri="nbd+unix:///?socket=$sock" \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --size="${lun_mb}M" \
		--time_based --runtime="$secs" --ramp_time="$ramp" --output-format=json \
		--output="$json" >/dev/null || { alive; echo "$me: fio $name against $kind $var failed" >&2; exit 1; }
	bound=$(bound_end)
	c1=$(cpu_ticks "$pid")
	t1=$(cpu_ticks "$tgtd_pid")
	python3 - "$json" "$r" "$kind" "$var" "$name" "$c0" "$c1" "$hz" "$t0" "$t1" "$ramp" "$bound" >>"$results" <<'EOF'
import json, sys
path, rnd, kind, var, name, c0, c1, hz, t0, t1, ramp, bound = sys.argv[1:]
d = json.load(open(path))["jobs"][0]
bw = d["read"]["bw_bytes"] + d["write"]["bw_bytes"]
io = d["read"]["io_bytes"] + d["write"]["io_bytes"]
iops = d["read"]["iops"] + d["write"]["iops"]
# The bridge's and tgtd's CPU is read over the whole fio run, ramp
# included, while fio counts bytes over its measured runtime only: scale
# the bytes up by the ramp so that both cover the same time. fio's own
# CPU is over its measured runtime.
rt = d["job_runtime"] / 1000.0
gib = io / 2**30
wgib = gib * (rt + float(ramp)) / rt if rt else 0
def per(ticks):
    return f"{ticks / int(hz) / wgib:.3f}" if wgib else "-"
fcpu = (d["usr_cpu"] + d["sys_cpu"]) / 100.0 * rt
print(f"{rnd}\t{kind}\t{var}\t{name}\t{bw / 2**20:.1f}\t{iops:.0f}"
      f"\t{per(int(c1) - int(c0))}\t{per(int(t1) - int(t0))}"
      f"\t{fcpu / gib if gib else 0:.3f}\t{bound}")
EOF
}

run_perf() { # round name rw bs qd
	local r=$1 name=$2 rw=$3 bs=$4 qd=$5 blocks extra= line bound
	case $rw in read) ;; randread) extra=-r ;; *) return 0 ;; esac
	case $bs in 1M) blocks=2048 ;; 4k) blocks=8 ;; *) echo "$me: block size $bs" >&2; exit 1 ;; esac
	bound_begin
	# shellcheck disable=SC2086 # $extra is empty or one word
	line=$(nsx timeout $((secs + 15)) iscsi-perf -m "$qd" -b "$blocks" -t "$secs" $extra \
		"iscsi://127.0.0.1/$iqn/1" 2>&1 | tr '\r' '\n' | grep -o 'iops average [0-9]* ([0-9]* MB/s)' | tail -1) || true
	bound=$(bound_end)
	[ -n "$line" ] || { echo "$me: iscsi-perf printed no average for $name" >&2; exit 1; }
	# "iops average N (M MB/s)": MB here is 10^6 bytes; report MiB/s like fio.
	echo "$line" | awk -v r="$r" -v n="$name" -v bs="$((blocks * 512))" -v b="$bound" \
		'{ iops = $3; printf "%s\tperf\t-\t%s\t%.1f\t%d\t-\t-\t-\t%s\n", r, n, iops * bs / 1048576, iops, b }' >>"$results"
}

npeers=${#peer_list[@]}
round_loads=()
for r in $(seq "$rounds"); do
	round_loads+=("$(cut -d' ' -f1 /proc/loadavg)")
	echo "== round $r of $rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	for j in "${picked[@]}"; do
		read -r name rw bs qd <<<"$j"
		for k in $(seq 0 $((npeers - 1))); do
			read -r kind var sock pid <<<"${peer_list[$(((k + r - 1) % npeers))]}"
			if [ "$kind" = perf ]; then
				run_perf "$r" "$name" "$rw" "$bs" "$qd"
			else
				alive
				run_fio "$r" "$kind" "$var" "$sock" "$pid" "$name" "$rw" "$bs" "$qd"
			fi
			[ "$kind" = perf ] && [[ $rw != *read ]] && continue
			tail -1 "$results" | awk -F'\t' '{ printf "  %-18s %-4s %-8s %8s MiB/s %7s IOPS", $4, $2, $3, $5, $6
				if ($7 != "-") printf "  bridge CPU %s s/GiB", $7
				printf "\n" }'
		done
	done
done
alive
load1=$(cut -d' ' -f1-3 /proc/loadavg)
t_end=$(date +%s)

outdir=$(dirname "$out")
base=${out%.md}
mkdir -p "$outdir"
cp "$results" "$base.tsv"
var_desc=()
for i in "${!var_names[@]}"; do
	other=
	[ "${var_bins[$i]}" = "$bin" ] || other="[${var_bins[$i]}] "
	var_desc+=("${var_names[$i]}=$other${var_args[$i]}")
done
python3 "$top/bench/nbd-report.py" --tsv "$base.tsv" --out "$out" --readme "$base-readme.md" \
	--plot-data "$base-plot.dat" --plot-jobs "$base-plot.jobs" \
	--date "$date0" --commit "$rev" --cpu "$cpu_model" --nproc "$(nproc)" \
	--load-before "$load0" --load-after "$load1" --rounds "$rounds" --seconds "$secs" \
	--ramp "$ramp" --lun-mb "$lun_mb" --wall "$((t_end - t_start))" \
	--round-loads "${round_loads[*]}" --isn-args "${BENCH_ISN_ARGS:-}" --plot-name "$(basename "$base").png" \
	"${var_desc[@]/#/--variant=}"
gnuplot -e "dat='$base-plot.dat'; out='$base.png'; jobs='$(cat "$base-plot.jobs")'; ttl='iscsi-nbd $rev, $date0, $(nproc) CPUs: median and range of $rounds rounds'; ttl2='load average $load0 before, $load1 after'" \
	"$top/bench/nbd-plot.gp"

echo
cat "$out"
echo
echo "report $out, plot $base.png, raw figures $base.tsv"
if [ "$docs" = yes ]; then
	if [ -f "$top/docs/bench/nbd-bench.md" ] && [ -f "$top/README.md" ]; then
		python3 "$top/bench/report-insert.py" "$top/docs/bench/nbd-bench.md" bench:host "$out"
		python3 "$top/bench/report-insert.py" "$top/README.md" bench:host "$base-readme.md"
		cp "$base.png" "$top/docs/bench/nbd-bench.png"
		echo "docs/bench/nbd-bench.md, docs/bench/nbd-bench.png and README.md updated"
	else
		echo "$me: no docs/bench/nbd-bench.md here (a release tarball?): docs not updated" >&2
	fi
else
	echo "docs not updated (BENCH_DOCS=yes writes them; a subset of jobs or peers does not by default)"
fi
echo "total time $(($(date +%s) - t_start)) s"
