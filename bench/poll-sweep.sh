#!/usr/bin/env bash
# Hybrid polling (--poll-us) against no polling, interleaved on one target:
# one tgtd in a namespace's loopback (bench/lib.sh) with one LUN in tmpfs
# per --poll-us value (copies of one file of random bytes) and one
# `iscsi-nbd serve` per value and LUN, all up the whole time (an idle
# one does not spin), and fio's nbd engine running each job against each
# of them in turn, round after round, the order rotating every round.
# Per run: MiB/s, IOPS, CPU s/GiB of the serve process, tgtd and fio (user
# + system), and per I/O the serve process's system calls (perf stat
# raw_syscalls:sys_enter, when perf is there) and voluntary context
# switches (its sleeps, from /proc/PID/status), with its polling counters
# from `iscsi-nbd status --json`. Prints one TSV line per run, then the
# median and range per job and value.
#
# Usage: bench/poll-sweep.sh [BUILD_DIR]   (as root)
# Env:   POLL_VALUES (default "0 20 50 100"), POLL_ROUNDS (default 3),
#        POLL_SECONDS (per run, default 6), POLL_JOBS (default
#        "randread:4k:1 randwrite:4k:1 randread:4k:32"),
#        POLL_ISN_ARGS (more serve options for every value),
#        BENCH_LUN_MB (default 512).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
bin=$build/iscsi-nbd
values=${POLL_VALUES:-0 20 50 100}
rounds=${POLL_ROUNDS:-3}
secs=${POLL_SECONDS:-6}
jobs=${POLL_JOBS:-randread:4k:1 randwrite:4k:1 randread:4k:32}
lun_mb=${BENCH_LUN_MB:-512}

me=poll-sweep
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_require tgtd tgtadm fio ip python3
iqn=iqn.2026-11.org.iscsi-nbd:pollsweep
bench_tgtd $iqn
export ISCSI_NBD_RUNDIR=$work/run
mkdir -p "$ISCSI_NBD_RUNDIR"
have_perf=0
command -v perf >/dev/null && have_perf=1

# One daemon per LUN (the LUN lock): LUN 1 and one more LUN per further value.
extra=()
sweep_cleanup() {
	bench_cleanup
	rm -f "${extra[@]}"
}
trap sweep_cleanup EXIT INT TERM
declare -A pid lun
l=1
for v in $values; do
	lun[$v]=$l
	if [ $l -gt 1 ]; then
		f=/dev/shm/isn-$me-$$-$l.img
		extra+=("$f")
		cp "$backing" "$f"
		nsx tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun $l -b "$f"
	fi
	l=$((l + 1))
done
for v in $values; do
	# shellcheck disable=SC2086 # POLL_ISN_ARGS is a list of words
	ip netns exec "$ns" "$bin" serve -t $iqn -l "${lun[$v]}" -P 127.0.0.1 --socket "$work/p$v.sock" -f \
		--name "poll$v" --poll-us "$v" ${POLL_ISN_ARGS:-} >"$work/p$v.log" 2>&1 &
	pid[$v]=$!
	bench_track "${pid[$v]}"
	wait_sock "$work/p$v.sock"
done

vcsw() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
printf '#round\tpoll_us\tjob\tMiB/s\tIOPS\tcpu_s/GiB\ttgtd_s/GiB\tfio_s/GiB\tsyscalls/io\tsleeps/io\tspins\thits\tspin_s\tbackoffs\n'
tsv=$work/runs.tsv
: >"$tsv"
set -- $values
n=$#
for r in $(seq "$rounds"); do
	for j in $jobs; do
		IFS=: read -r rw bs qd <<<"$j"
		# Rotate the order of the values each round.
		order=()
		for i in $(seq 0 $((n - 1))); do
			k=$(((i + r) % n + 1))
			order+=("${!k}")
		done
		for v in "${order[@]}"; do
			p=${pid[$v]}
			json=$work/fio.json
			c0=$(cpu_ticks "$p")
			t0=$(cpu_ticks "$tgtd_pid")
			s0=$(vcsw "$p")
			nsx fio --name=j --ioengine=nbd --uri="nbd+unix:///?socket=$work/p$v.sock" \
				--rw="$rw" --bs="$bs" --iodepth="$qd" --size="${lun_mb}M" --time_based \
				--runtime="$secs" --ramp_time=1 --output-format=json --output="$json" \
				>/dev/null &
			fpid=$!
			sc=-
			if [ $have_perf = 1 ]; then
				sleep 2
				sc=$(perf stat -x, -e raw_syscalls:sys_enter -p "$p" -- sleep $((secs - 2)) 2>&1 |
					awk -F, '/raw_syscalls/ { print $1 }')
			fi
			wait $fpid
			c1=$(cpu_ticks "$p")
			t1=$(cpu_ticks "$tgtd_pid")
			s1=$(vcsw "$p")
			st=$(timeout 10 "$bin" status --json "poll$v" 2>/dev/null || echo '{}')
			python3 - "$json" "$r" "$v" "$j" "$c0" "$c1" "$t0" "$t1" "$hz" "$sc" \
				"$((secs - 2))" "$s0" "$s1" "$st" <<'EOF' | tee -a "$tsv"
import json, sys
path, r, v, j, c0, c1, t0, t1, hz, sc, scs, s0, s1, st = sys.argv[1:]
d = json.load(open(path))["jobs"][0]
bw = d["read"]["bw_bytes"] + d["write"]["bw_bytes"]
io = d["read"]["io_bytes"] + d["write"]["io_bytes"]
iops = d["read"]["iops"] + d["write"]["iops"]
rt = d["job_runtime"] / 1000.0
gib = io / 2**30 or 1e-9
# The serve process and tgtd over the whole fio run (1 s ramp included).
tgib = gib * (rt + 1.0) / rt if rt else gib
cpu = (int(c1) - int(c0)) / int(hz) / tgib
tcpu = (int(t1) - int(t0)) / int(hz) / tgib
fcpu = (d["usr_cpu"] + d["sys_cpu"]) / 100.0 * rt / gib
scio = f"{int(sc) / (iops * int(scs)):.2f}" if sc not in ("-", "") and iops else "-"
sleeps = (int(s1) - int(s0)) / (iops * (rt + 1.0)) if iops else 0
try:
    p = json.loads(st.split("\n", 1)[1] if st.startswith("ok") else st).get("poll") or {}
except (ValueError, IndexError):
    p = {}
print(f"{r}\t{v}\t{j}\t{bw / 2**20:.1f}\t{iops:.0f}\t{cpu:.3f}\t{tcpu:.3f}\t{fcpu:.3f}\t{scio}"
      f"\t{sleeps:.2f}\t{p.get('spins', '-')}\t{p.get('hits', '-')}\t{p.get('spin_seconds', '-')}\t{p.get('backoffs', '-')}")
EOF
		done
	done
done

echo
echo "# median [min-max] over $rounds rounds"
python3 - "$tsv" <<'EOF'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
keys = []
for row in rows:
    if (row[2], row[1]) not in keys:
        keys.append((row[2], row[1]))
def col(j, v, i):
    xs = [float(row[i]) for row in rows if row[2] == j and row[1] == v and row[i] != "-"]
    if not xs:
        return "-"
    return f"{statistics.median(xs):.2f} [{min(xs):.2f}-{max(xs):.2f}]"
print("| job | --poll-us | MiB/s | IOPS | serve CPU s/GiB | tgtd s/GiB | fio s/GiB | syscalls/IO | sleeps/IO |")
print("|---|---|---|---|---|---|---|---|---|")
for j, v in sorted(keys, key=lambda k: (k[0], int(k[1]))):
    print(f"| {j} | {v} | " + " | ".join(col(j, v, i) for i in range(3, 10)) + " |")
EOF
