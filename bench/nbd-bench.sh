#!/usr/bin/env bash
# Throughput and CPU cost of the NBD bridge, side by side with its peers,
# in one run on one target:
#   - iscsi-nbd serve  (our NBD server mode over one path)
#   - qemu-nbd         (QEMU's libiscsi block driver, the same LUN)
#   - iscsi-perf       (libiscsi, straight to the LUN; reads only)
# One tgtd in a private network namespace, its LUN a file in /dev/shm
# (tmpfs), everything over that namespace's loopback. fio's nbd engine
# drives both NBD servers with the same jobs. CPU is the bridge process's
# user+system time over the job (from /proc/PID/stat), per GiB moved.
#
# Usage: bench/nbd-bench.sh [BUILD_DIR]   (as root; `make bench` passes it)
# Env:   BENCH_SECONDS (per job, default 10), BENCH_LUN_MB (default 1024),
#        BENCH_OUT (table file, default BUILD_DIR/bench/nbd-bench.md),
#        BENCH_JOBS (extended regex picking job names, default all),
#        BENCH_PEERS (which of "iscsi-nbd qemu-nbd iscsi-perf" to run, default all),
#        BENCH_ISN_ARGS (more arguments for iscsi-nbd serve, e.g. --coalesce-us 0)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
bin=$build/iscsi-nbd
secs=${BENCH_SECONDS:-10}
lun_mb=${BENCH_LUN_MB:-1024}
out=${BENCH_OUT:-$build/bench/nbd-bench.md}
job_re=${BENCH_JOBS:-.}
peers=" ${BENCH_PEERS:-iscsi-nbd qemu-nbd iscsi-perf} "
want_peer() { [[ $peers == *" $1 "* ]]; }

me=nbd-bench
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_require tgtd tgtadm fio qemu-nbd iscsi-perf ip python3
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "nbd-bench: this fio has no nbd engine" >&2; exit 1; }
iqn=iqn.2026-11.org.iscsi-nbd:bench
bench_tgtd $iqn

# name rw bs iodepth
jobs=(
	"seq-read-1M-qd32 read 1M 32"
	"seq-write-1M-qd32 write 1M 32"
	"rand-read-4K-qd32 randread 4k 32"
	"rand-write-4K-qd32 randwrite 4k 32"
	"rand-read-4K-qd1 randread 4k 1"
	"rand-write-4K-qd1 randwrite 4k 1"
)

hz=$(getconf CLK_TCK)
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results.tsv
: >"$results"

run_fio() { # peer sock pid
	local peer=$1 sock=$2 pid=$3 j name rw bs qd c0 c1 t0 t1 json
	for j in "${jobs[@]}"; do
		read -r name rw bs qd <<<"$j"
		[[ $name =~ $job_re ]] || continue
		json=$work/$peer-$name.json
		c0=$(cpu_ticks "$pid")
		t0=$(cpu_ticks "$tgtd_pid")
		nsx fio --name="$name" --ioengine=nbd --uri="nbd+unix:///?socket=$sock" \
			--rw="$rw" --bs="$bs" --iodepth="$qd" --size="${lun_mb}M" \
			--time_based --runtime="$secs" --ramp_time=1 --output-format=json \
			--output="$json" >/dev/null
		c1=$(cpu_ticks "$pid")
		t1=$(cpu_ticks "$tgtd_pid")
		python3 - "$json" "$peer" "$name" "$c0" "$c1" "$hz" "$t0" "$t1" >>"$results" <<'EOF'
import json, sys
path, peer, name, c0, c1, hz, t0, t1 = sys.argv[1:]
d = json.load(open(path))["jobs"][0]
bw = d["read"]["bw_bytes"] + d["write"]["bw_bytes"]
io = d["read"]["io_bytes"] + d["write"]["io_bytes"]
iops = d["read"]["iops"] + d["write"]["iops"]
cpu = (int(c1) - int(c0)) / int(hz)
# tgtd over the whole fio run (ramp included), fio's own CPU over its measured
# runtime: both per GiB, to show where the machine's two cores go.
tcpu = (int(t1) - int(t0)) / int(hz)
rt = d["job_runtime"] / 1000.0
fcpu = (d["usr_cpu"] + d["sys_cpu"]) / 100.0 * rt
gib = io / 2**30
tgib = gib * (rt + 1.0) / rt if rt else gib
print(f"{peer}\t{name}\t{bw / 2**20:.1f}\t{iops:.0f}\t{cpu / gib if gib else 0:.3f}"
      f"\t{tcpu / tgib if gib else 0:.3f}\t{fcpu / gib if gib else 0:.3f}")
EOF
		echo "  $peer $name: $(tail -1 "$results" | awk -F'\t' '{print $3 " MiB/s, " $4 " IOPS, CPU s/GiB: bridge " $5 ", tgtd " $6 ", fio " $7}')"
	done
}

if want_peer iscsi-nbd; then
echo "== iscsi-nbd serve"
# shellcheck disable=SC2086 # BENCH_ISN_ARGS is a list of words
ip netns exec $ns "$bin" serve -t $iqn -l 1 -P 127.0.0.1 --socket "$work/isn.sock" -f --name bench-$$ \
	${BENCH_ISN_ARGS:-} \
	>"$work/isn.log" 2>&1 &
isn_pid=$!
bench_track "$isn_pid"
wait_sock "$work/isn.sock"
# The serve process is $isn_pid itself: ip netns exec execs, it does not fork.
run_fio iscsi-nbd "$work/isn.sock" "$isn_pid"
kill "$isn_pid"
wait "$isn_pid" || true
fi

if want_peer qemu-nbd; then
echo "== qemu-nbd (libiscsi)"
ip netns exec $ns qemu-nbd -f raw -t -k "$work/qemu.sock" --cache=none "iscsi://127.0.0.1/$iqn/1" \
	>"$work/qemu.log" 2>&1 &
q_pid=$!
bench_track "$q_pid"
wait_sock "$work/qemu.sock"
run_fio qemu-nbd "$work/qemu.sock" "$q_pid"
kill "$q_pid"
wait "$q_pid" || true
fi

echo "== iscsi-perf (libiscsi, reads)"
perf() { # name blocks depth [-r]
	local name=$1 blocks=$2 depth=$3 extra=${4:-} line
	want_peer iscsi-perf && [[ $name =~ $job_re ]] || return 0
	line=$(nsx timeout $((secs + 10)) iscsi-perf -m "$depth" -b "$blocks" -t "$secs" $extra \
		"iscsi://127.0.0.1/$iqn/1" 2>&1 | tr '\r' '\n' | grep -o 'iops average [0-9]* ([0-9]* MB/s)' | tail -1)
	# "iops average N (M MB/s)": MB here is 10^6 bytes; report MiB/s like fio.
	echo "$line" | awk -v n="$name" -v bs="$((blocks * 512))" \
		'{ iops = $3; printf "iscsi-perf\t%s\t%.1f\t%d\t-\t-\t-\n", n, iops * bs / 1048576, iops }' >>"$results"
	echo "  iscsi-perf $name: $(tail -1 "$results" | cut -f3,4)"
}
perf seq-read-1M-qd32 2048 32
perf rand-read-4K-qd32 8 32 -r
perf rand-read-4K-qd1 8 1 -r

mkdir -p "$(dirname "$out")"
python3 - "$results" "$secs" "$lun_mb" "$rev" "$load0" >"$out" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
secs, lun, rev, load0 = sys.argv[2:6]
r = {(p, n): (float(bw), int(float(iops)), cpu, tg, fc) for p, n, bw, iops, cpu, tg, fc in rows}
names = []
for p, n, *_ in rows:
    if n not in names:
        names.append(n)
print(f"NBD bridge benchmark: tgtd LUN of {lun} MiB in tmpfs, loopback, fio nbd engine, {secs} s per job.")
print("MiB/s (IOPS); CPU = user+system seconds per GiB moved: the bridge process, and (in")
print("brackets) tgtd and fio over the same job, which share the machine's cores with it.")
print(f"iscsi-nbd {rev}; load average at the start {load0}.\n")
print("| job | iscsi-nbd | qemu-nbd | ratio | iscsi-nbd CPU s/GiB [tgtd, fio] | qemu-nbd CPU s/GiB [tgtd, fio] | CPU ratio | iscsi-perf |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    a = r.get(("iscsi-nbd", n)); q = r.get(("qemu-nbd", n)); ip = r.get(("iscsi-perf", n))
    def f(x): return f"{x[0]:.1f} ({x[1]})" if x else "-"
    def c(x): return f"{x[2]} [{x[3]}, {x[4]}]" if x else "-"
    ratio = f"{a[0] / q[0]:.2f}x" if a and q and q[0] else "-"
    cr = f"{float(a[2]) / float(q[2]):.2f}" if a and q and float(q[2]) else "-"
    print(f"| {n} | {f(a)} | {f(q)} | {ratio} | {c(a)} | {c(q)} | {cr} | {f(ip)} |")
EOF
echo
cat "$out"
